/*
 * Guest side of capture.sh: makes a virtio-blk device DMA through the SMMU
 * with mappings of two sizes. Each round writes CHUNK KiB of a pattern to
 * the disk with O_DIRECT and reads it back into a second buffer, then
 * compares. Both buffers are 2 MiB-aligned and backed by transparent huge
 * pages, so a 2048 KiB chunk is one physically contiguous, 2 MiB-aligned
 * segment: Linux's DMA API then gives it a 2 MiB-aligned IOVA and
 * io-pgtable maps it with a level-2 block (read-only for the write, since
 * the device only reads it). Smaller chunks are mapped page by page.
 *
 * usage: dma_load DEVICE CHUNK_KB ROUNDS
 * Prints "DMA rounds=N chunk_kb=K thp_kb=T" when done (T: KiB of the
 * process's memory in huge pages), or "DMA FAIL ..." and exits 1 (the data
 * read back differs, or an I/O failed). ROUNDS 0 runs until killed and
 * skips the pattern and the comparison, so that nearly all the time is
 * spent with a request in flight.
 *
 * Built static for aarch64 by capture.sh; not part of the host build.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HUGE (2ul << 20)

/* A HUGE-aligned anonymous buffer of `len` bytes that asks for huge pages. */
static uint8_t *huge_buffer(size_t len)
{
    size_t span = len + HUGE;
    uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
    madvise(a, len, MADV_HUGEPAGE);
    memset(a, 0, len); /* fault it in now */
    return a;
}

static long thp_kb(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: dma_load DEVICE CHUNK_KB ROUNDS\n");
        return 2;
    }
    size_t chunk = strtoul(argv[2], NULL, 10) << 10;
    unsigned long rounds = strtoul(argv[3], NULL, 10);
    int fd = open(argv[1], O_RDWR | O_DIRECT);
    off_t disk = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
    uint8_t *out = chunk ? huge_buffer(chunk) : NULL, *in = chunk ? huge_buffer(chunk) : NULL;
    if (fd < 0 || disk < (off_t)chunk || !out || !in || chunk % 4096) {
        printf("DMA FAIL setup: %s of %lld bytes, chunk %zu\n", argv[1], (long long)disk, chunk);
        return 1;
    }
    unsigned long slots = (unsigned long)(disk / (off_t)chunk);
    for (unsigned long r = 0; !rounds || r < rounds; r++) {
        off_t at = (off_t)(r % slots) * (off_t)chunk;
        for (size_t i = 0; rounds && i < chunk; i += 8)
            *(uint64_t *)(out + i) = (uint64_t)at + i + r * 0x9e3779b97f4a7c15ull;
        if (pwrite(fd, out, chunk, at) != (ssize_t)chunk ||
            pread(fd, in, chunk, at) != (ssize_t)chunk) {
            printf("DMA FAIL I/O in round %lu\n", r);
            return 1;
        }
        if (rounds && memcmp(in, out, chunk)) {
            printf("DMA FAIL round %lu: the data read back differs\n", r);
            return 1;
        }
    }
    printf("DMA rounds=%lu chunk_kb=%zu thp_kb=%ld\n", rounds, chunk >> 10, thp_kb());
    return 0;
}
