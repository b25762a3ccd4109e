/*
 * Guest side of capture.sh: a user-space VFIO driver for QEMU's "edu" PCI
 * device, the way a VMM assigns a device. The device's iommu group goes to
 * a VFIO type1 container, whose domain maps two pages: one read-only at
 * IOVA 0x10000, one read-write at 0x20000. Then the device DMAs:
 *   read  0x10000   allowed (it copies a pattern into the device's buffer)
 *   write 0x20000   allowed (the pattern comes back into the read-write page)
 *   write 0x10000   a permission fault (read-only mapping)
 *   read  0x1000    a translation fault (nothing mapped)
 *   write 0x2000    a translation fault
 * The SMMU records the faults in its event queue; the kernel reads and logs
 * them. Prints "EDU ok ..." (or "EDU FAIL ..." and exits 1), then keeps the
 * container open until killed, so that the mappings are still live when
 * capture.sh saves guest RAM.
 *
 * usage: edu_dma PCI_ADDRESS      (e.g. 0000:00:03.0, bound to vfio-pci)
 *
 * The edu registers (QEMU's docs/specs/edu.rst): DMA source 0x80,
 * destination 0x88, count 0x90, command 0x98 (1: start, 2: device to RAM);
 * the device's buffer is at 0x40000; it runs a transfer from a timer and
 * clears the start bit when done. Built static for aarch64 by capture.sh;
 * not part of the host build.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define EDU_ID 0x00
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_BUFFER 0x40000
#define CMD_START 1u
#define CMD_TO_RAM 2u
#define IOVA_RO 0x10000u
#define IOVA_RW 0x20000u
#define PATTERN 0x1122334455667788ull

static volatile uint8_t *bar;

static int fail(const char *what)
{
    printf("EDU FAIL %s\n", what);
    fflush(stdout);
    return 1;
}

static void put64(unsigned off, uint64_t v)
{
    *(volatile uint32_t *)(bar + off) = (uint32_t)v;
    *(volatile uint32_t *)(bar + off + 4) = (uint32_t)(v >> 32);
}

/* One 8-byte DMA between the device's buffer and `iova`; 0 once the
 * device has finished it (whether the SMMU let it through or not). */
static int dma(uint64_t iova, int to_ram)
{
    put64(EDU_DMA_SRC, to_ram ? EDU_BUFFER : iova);
    put64(EDU_DMA_DST, to_ram ? iova : EDU_BUFFER);
    put64(EDU_DMA_COUNT, 8);
    put64(EDU_DMA_CMD, CMD_START | (to_ram ? CMD_TO_RAM : 0));
    for (int i = 0; i < 300; i++) {
        if (!(*(volatile uint32_t *)(bar + EDU_DMA_CMD) & CMD_START))
            return 0;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

static int map(int container, void *buf, uint64_t iova, uint32_t flags)
{
    struct vfio_iommu_type1_dma_map m = {.argsz = sizeof m, .flags = flags,
                                         .vaddr = (uintptr_t)buf, .iova = iova, .size = 4096};
    return ioctl(container, VFIO_IOMMU_MAP_DMA, &m);
}

/* The VFIO group of a PCI device, its container with the type1 IOMMU,
 * and the device's fd. -1 on failure. */
static int open_device(const char *pci, int *container)
{
    char link[256], path[512], target[512];
    snprintf(link, sizeof link, "/sys/bus/pci/devices/%s/iommu_group", pci);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0)
        return -1;
    target[n] = 0;
    snprintf(path, sizeof path, "/dev/vfio/%s", basename(target));
    *container = open("/dev/vfio/vfio", O_RDWR);
    int group = open(path, O_RDWR);
    struct vfio_group_status st = {.argsz = sizeof st};
    if (*container < 0 || group < 0 || ioctl(group, VFIO_GROUP_GET_STATUS, &st) ||
        !(st.flags & VFIO_GROUP_FLAGS_VIABLE) ||
        ioctl(group, VFIO_GROUP_SET_CONTAINER, container) ||
        ioctl(*container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
        return -1;
    return ioctl(group, VFIO_GROUP_GET_DEVICE_FD, pci);
}

static int region(int dev, unsigned index, struct vfio_region_info *r)
{
    *r = (struct vfio_region_info){.argsz = sizeof *r, .index = index};
    return ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, r);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: edu_dma PCI_ADDRESS\n");
        return 2;
    }
    int container, dev = open_device(argv[1], &container);
    if (dev < 0)
        return fail("cannot open the device through VFIO");
    struct vfio_region_info bar0, cfg;
    uint16_t cmd;
    if (region(dev, VFIO_PCI_BAR0_REGION_INDEX, &bar0) ||
        region(dev, VFIO_PCI_CONFIG_REGION_INDEX, &cfg) ||
        pread(dev, &cmd, 2, (off_t)cfg.offset + 4) != 2)
        return fail("no BAR0 or config region");
    cmd |= 0x6; /* Memory Space, Bus Master */
    if (pwrite(dev, &cmd, 2, (off_t)cfg.offset + 4) != 2)
        return fail("cannot set Bus Master");
    bar = mmap(NULL, bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev, (off_t)bar0.offset);
    if (bar == MAP_FAILED || (*(volatile uint32_t *)(bar + EDU_ID) & 0xffff) != 0x00ed)
        return fail("BAR0 is not an edu device");
    uint64_t *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t *rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ro == MAP_FAILED || rw == MAP_FAILED)
        return fail("no memory");
    ro[0] = PATTERN;
    rw[0] = 0;
    if (map(container, ro, IOVA_RO, VFIO_DMA_MAP_FLAG_READ) ||
        map(container, rw, IOVA_RW, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
        return fail("VFIO_IOMMU_MAP_DMA refused");
    if (dma(IOVA_RO, 0) || dma(IOVA_RW, 1) || dma(IOVA_RO, 1) || dma(0x1000, 0) ||
        dma(0x2000, 1))
        return fail("a DMA did not finish in 3 s");
    if (rw[0] != PATTERN || ro[0] != PATTERN)
        return fail("the data did not go through the read-write page alone");
    printf("EDU ok: read-only and read-write pages copied, three faulting DMAs done\n");
    fflush(stdout);
    pause(); /* keep the container, hence the mappings */
    return 0;
}
