/*
 * SMMUv3 model benchmarks:
 *   hit      IOTLB hit translate (median ns over batches, and M/s)
 *   many     vmaccel_smmu_translate_many over 32-IOVA lists of hits (ns per
 *            IOVA), beside single hits measured the same way in the same run
 *   miss4    stage-1 4-level (4K, 48-bit) walk on every access
 *   nested   stage-1 4-level walk with every table address and the output
 *            translated by a 4-level stage 2 (24 descriptor reads)
 *   inval    invalidate one ASID with 64K entries cached
 *   mixed    a streaming device beside devices with small hot working sets:
 *            misses with adaptive partitioning vs one exact global LRU (and
 *            vs the model's own global CLOCK) of the same capacity
 * usage: bench_smmu [hit|many|miss4|nested|inval|mixed]...   (default: all)
 */
#include <vmaccel/vmaccel.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BASE 0x40000000ull
#define MEM_BYTES (96u << 20)

static uint8_t *ram;
static uint64_t next_free = BASE;

static int rd(void *ctx, uint64_t a, void *buf, size_t n)
{
    (void)ctx;
    if (a < BASE || a - BASE + n > MEM_BYTES)
        return -1;
    memcpy(buf, ram + (a - BASE), n);
    return 0;
}

static uint64_t alloc_page(void)
{
    uint64_t a = next_free;
    next_free += 4096;
    if (next_free - BASE > MEM_BYTES) {
        fprintf(stderr, "bench_smmu: guest memory exhausted\n");
        exit(1);
    }
    return a;
}

static uint64_t r64(uint64_t a)
{
    uint64_t v;
    memcpy(&v, ram + (a - BASE), 8);
    return v;
}

static void w64(uint64_t a, uint64_t v)
{
    memcpy(ram + (a - BASE), &v, 8);
}

/* Maps one 4K page in a 4K-granule regime starting at `start` level.
 * Stage 1 leaf: AP=01, AF; stage 2 leaf: S2AP=11, AF. */
static void map(uint64_t root, unsigned start, uint64_t ia, uint64_t oa, int stage)
{
    uint64_t table = root;
    for (unsigned level = start; level < 3; level++) {
        uint64_t slot = table + 8 * ((ia >> (12 + 9 * (3 - level))) & 511);
        uint64_t d = r64(slot);
        if ((d & 3) != 3) {
            d = alloc_page() | 3;
            w64(slot, d);
        }
        table = d & 0xfffffffff000ull;
    }
    uint64_t leaf = oa | 3 | 1u << 10 | (stage == 1 ? 1u << 6 : 3u << 6);
    w64(table + 8 * ((ia >> 12) & 511), leaf);
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static vmaccel_smmu *model(unsigned entries)
{
    vmaccel_smmu_options o = VMACCEL_SMMU_OPTIONS_INIT;
    o.iotlb_entries = entries;
    vmaccel_smmu *s;
    if (vmaccel_smmu_new(&o, &s)) {
        fprintf(stderr, "vmaccel_smmu_new: %s\n", vmaccel_error_last());
        exit(1);
    }
    vmaccel_smmu_memory m = VMACCEL_SMMU_MEMORY_INIT;
    m.read = rd;
    vmaccel_smmu_set_memory(s, &m);
    return s;
}

static void attach_s1(vmaccel_smmu *s, uint32_t sid, uint64_t root, unsigned t0sz,
                      uint16_t asid)
{
    vmaccel_smmu_domain d;
    vmaccel_smmu_domain_init(&d);
    d.mode = VMACCEL_SMMU_MODE_S1;
    d.s1_ttb0 = root;
    d.s1_t0sz = t0sz;
    d.asid = asid;
    if (vmaccel_smmu_attach(s, sid, &d)) {
        fprintf(stderr, "attach: %s\n", vmaccel_error_last());
        exit(1);
    }
}

/* Median ns per call over `batches` batches of `per` calls of fn(i). */
typedef void (*op_fn)(vmaccel_smmu *s, uint64_t i);
static double median_ns(vmaccel_smmu *s, op_fn fn, unsigned batches, unsigned per,
                        uint64_t *counter)
{
    double *t = malloc(batches * sizeof *t);
    for (unsigned b = 0; b < batches; b++) {
        double t0 = now_ns();
        for (unsigned i = 0; i < per; i++)
            fn(s, (*counter)++);
        t[b] = (now_ns() - t0) / per;
    }
    qsort(t, batches, sizeof *t, cmp_d);
    double m = t[batches / 2];
    free(t);
    return m;
}

static uint64_t sink;
static uint64_t npages;

static void op_translate(vmaccel_smmu *s, uint64_t i)
{
    vmaccel_smmu_result r;
    if (vmaccel_smmu_translate(s, 1, VMACCEL_SMMU_NO_SSID, (i & (npages - 1)) << 12 | 0x40,
                               VMACCEL_SMMU_READ, &r)) {
        fprintf(stderr, "translate failed: %s\n", vmaccel_error_last());
        exit(1);
    }
    sink += r.pa;
}

/* A model with stream 1's 64 pages mapped and already in the IOTLB. */
static vmaccel_smmu *hits_model(void)
{
    next_free = BASE;
    memset(ram, 0, MEM_BYTES);
    uint64_t root = alloc_page();
    npages = 64;
    for (uint64_t p = 0; p < npages; p++)
        map(root, 1, p << 12, 0x100000000ull + (p << 12), 1);
    vmaccel_smmu *s = model(4096);
    attach_s1(s, 1, root, 25, 1);
    for (uint64_t p = 0; p < npages; p++)
        op_translate(s, p);
    return s;
}

static void bench_hit(void)
{
    vmaccel_smmu *s = hits_model();
    uint64_t c = 0;
    double ns = median_ns(s, op_translate, 201, 100000, &c);
    vmaccel_smmu_stream_stats st;
    vmaccel_smmu_stream_stats_get(s, 1, &st);
    printf("hit     IOTLB hit translate: median %.1f ns/op (%.1f M/s), "
           "%llu hits %llu misses\n", ns, 1e3 / ns,
           (unsigned long long)st.hits, (unsigned long long)st.misses);
    vmaccel_smmu_free(s);
}

#define SG 32

static uint64_t sg_iovas[SG];
static vmaccel_smmu_result sg_out[SG];

static void op_translate_many(vmaccel_smmu *s, uint64_t i)
{
    size_t done;
    for (unsigned k = 0; k < SG; k++)
        sg_iovas[k] = ((i * SG + k) & (npages - 1)) << 12 | 0x40;
    if (vmaccel_smmu_translate_many(s, 1, VMACCEL_SMMU_NO_SSID, sg_iovas, SG,
                                    VMACCEL_SMMU_READ, sg_out, &done)) {
        fprintf(stderr, "translate_many failed: %s\n", vmaccel_error_last());
        exit(1);
    }
    sink += sg_out[SG - 1].pa;
}

/* Single hits and 32-IOVA lists of hits over the same 64 cached pages,
 * interleaved batch by batch so that both see the same machine. */
static void bench_many(void)
{
    vmaccel_smmu *s = hits_model();
    uint64_t c1 = 0, cn = 0;
    enum { ROUNDS = 201 };
    double single[ROUNDS], many[ROUNDS];
    for (unsigned r = 0; r < ROUNDS; r++) {
        single[r] = median_ns(s, op_translate, 1, 100000, &c1);
        many[r] = median_ns(s, op_translate_many, 1, 100000 / SG, &cn) / SG;
    }
    qsort(single, ROUNDS, sizeof *single, cmp_d);
    qsort(many, ROUNDS, sizeof *many, cmp_d);
    printf("many    %d-IOVA translate_many of hits: median %.2f ns/IOVA (%.1f M/s); "
           "single hits in the same run: median %.2f ns/op (ratio %.2f)\n", SG,
           many[ROUNDS / 2], 1e3 / many[ROUNDS / 2], single[ROUNDS / 2],
           single[ROUNDS / 2] / many[ROUNDS / 2]);
    vmaccel_smmu_free(s);
}

static void bench_miss4(void)
{
    next_free = BASE;
    memset(ram, 0, MEM_BYTES);
    uint64_t root = alloc_page();
    npages = 1u << 16;

    for (uint64_t p = 0; p < npages; p++)
        map(root, 0, p << 12, 0x100000000ull + (p << 12), 1);
    vmaccel_smmu *s = model(16);
    attach_s1(s, 1, root, 16, 1);
    uint64_t c = 0;
    double ns = median_ns(s, op_translate, 101, 4096, &c);
    vmaccel_smmu_stream_stats st;
    vmaccel_smmu_stream_stats_get(s, 1, &st);
    printf("miss4   stage-1 4-level walk (IOTLB 16, 64K-page stream): median %.1f ns/op, "
           "%llu misses / %llu translations\n", ns, (unsigned long long)st.misses,
           (unsigned long long)(st.hits + st.misses));
    vmaccel_smmu_free(s);
}

static void bench_nested(void)
{
    next_free = BASE;
    memset(ram, 0, MEM_BYTES);
    /* Stage 2: 48-bit IPA, 4K, start level 0; identity over the table area
     * (so S1 table IPAs equal their PAs) and the outputs. */
    uint64_t s2root = alloc_page();
    uint64_t s1root = alloc_page();
    npages = 1u << 14;
    for (uint64_t p = 0; p < npages; p++)
        map(s1root, 0, p << 12, 0x100000000ull + (p << 12), 1);
    uint64_t table_end = next_free + (4u << 20); /* room for the S2 tables */
    for (uint64_t a = BASE; a < table_end; a += 4096)
        map(s2root, 0, a, a, 2);
    for (uint64_t p = 0; p < npages; p++)
        map(s2root, 0, 0x100000000ull + (p << 12), 0x200000000ull + (p << 12), 2);
    if (next_free > table_end) {
        fprintf(stderr, "nested: stage-2 tables outside the identity map\n");
        exit(1);
    }
    vmaccel_smmu *s = model(16);
    vmaccel_smmu_domain d;
    vmaccel_smmu_domain_init(&d);
    d.mode = VMACCEL_SMMU_MODE_NESTED;
    d.s1_ttb0 = s1root;
    d.s1_t0sz = 16;
    d.asid = 1;
    d.s2_ttb = s2root;
    d.s2_t0sz = 16;
    d.s2_sl0 = 2;
    d.vmid = 1;
    if (vmaccel_smmu_attach(s, 1, &d)) {
        fprintf(stderr, "attach: %s\n", vmaccel_error_last());
        exit(1);
    }
    uint64_t c = 0;
    double ns = median_ns(s, op_translate, 101, 2048, &c);
    printf("nested  nested 4+4-level miss walk (IOTLB 16): median %.1f ns/op\n", ns);
    vmaccel_smmu_free(s);
}

static void bench_inval_n(uint64_t n)
{
    next_free = BASE;
    memset(ram, 0, MEM_BYTES);
    uint64_t root = alloc_page();
    npages = n;
    for (uint64_t p = 0; p < npages; p++)
        map(root, 1, p << 12, 0x100000000ull + (p << 12), 1);
    vmaccel_smmu *s = model(1u << 16);
    attach_s1(s, 1, root, 25, 1);
    double t[9], warm[9];
    for (int k = 0; k < 9; k++) {
        for (uint64_t p = 0; p < npages; p++)
            op_translate(s, p);
        vmaccel_smmu_stream_stats st;
        vmaccel_smmu_stream_stats_get(s, 1, &st);
        if (st.iotlb_used < npages) {
            fprintf(stderr, "inval: %u entries cached, wanted %llu\n", st.iotlb_used,
                    (unsigned long long)npages);
            exit(1);
        }
        double t0 = now_ns();
        vmaccel_smmu_invalidate(s, VMACCEL_SMMU_INVAL_ASID, 0, 1, 0, 0);
        t[k] = now_ns() - t0;
        t0 = now_ns(); /* again, with the model's lines now in cache */
        vmaccel_smmu_invalidate(s, VMACCEL_SMMU_INVAL_ASID, 0, 1, 0, 0);
        warm[k] = now_ns() - t0;
        uint64_t before = st.misses;
        op_translate(s, 5);
        vmaccel_smmu_stream_stats_get(s, 1, &st);
        if (st.misses != before + 1) {
            fprintf(stderr, "inval: the entry survived the invalidation\n");
            exit(1);
        }
    }
    qsort(t, 9, sizeof *t, cmp_d);
    qsort(warm, 9, sizeof *warm, cmp_d);
    printf("inval   invalidate one ASID with %llu entries cached: median %.0f ns "
           "(right after filling), %.0f ns (repeated)\n", (unsigned long long)n, t[4],
           warm[4]);
    vmaccel_smmu_free(s);
}

static void bench_inval(void)
{
    bench_inval_n(64);
    bench_inval_n(1u << 16);
}

/* ---- mixed trace ------------------------------------------------------- */

/* An exact LRU of fixed capacity over (sid, page) keys: hash + list. */
typedef struct lru_node {
    uint64_t key;
    int prev, next, hnext;
} lru_node;

typedef struct lru {
    lru_node *n;
    int *head;
    unsigned cap, used, hbits;
    int mru, lru_end;
    uint64_t misses;
} lru;

static unsigned lru_hash(const lru *l, uint64_t k)
{
    return (unsigned)((k * 0x9e3779b97f4a7c15ull) >> (64 - l->hbits));
}

static void lru_unlink(lru *l, int i)
{
    lru_node *x = &l->n[i];
    if (x->prev >= 0) l->n[x->prev].next = x->next; else l->mru = x->next;
    if (x->next >= 0) l->n[x->next].prev = x->prev; else l->lru_end = x->prev;
}

static void lru_front(lru *l, int i)
{
    l->n[i].prev = -1;
    l->n[i].next = l->mru;
    if (l->mru >= 0) l->n[l->mru].prev = i;
    l->mru = i;
    if (l->lru_end < 0) l->lru_end = i;
}

static void lru_access(lru *l, uint64_t key)
{
    unsigned h = lru_hash(l, key);
    for (int i = l->head[h]; i >= 0; i = l->n[i].hnext)
        if (l->n[i].key == key) {
            lru_unlink(l, i);
            lru_front(l, i);
            return;
        }
    l->misses++;
    int i;
    if (l->used < l->cap) {
        i = (int)l->used++;
    } else {
        i = l->lru_end;
        lru_unlink(l, i);
        unsigned oh = lru_hash(l, l->n[i].key);
        int *p = &l->head[oh];
        while (*p != i) p = &l->n[*p].hnext;
        *p = l->n[i].hnext;
    }
    l->n[i].key = key;
    l->n[i].hnext = l->head[h];
    l->head[h] = i;
    lru_front(l, i);
}

#define HOT_DEVICES 4
#define HOT_PAGES 150
#define STREAM_PAGES (1u << 15)
#define STREAM_PER_ROUND 4

/* The trace: each round the streaming device (SID 0) touches
 * STREAM_PER_ROUND new pages, then each hot device one random page of its
 * working set. */
static void mixed_trace(vmaccel_smmu *s, lru *l, unsigned rounds)
{
    uint64_t x = 88172645463325252ull, stream = 0;
    for (unsigned r = 0; r < rounds; r++) {
        for (int k = 0; k < STREAM_PER_ROUND; k++) {
            uint64_t page = stream++ % STREAM_PAGES;
            if (s) {
                vmaccel_smmu_result res;
                vmaccel_smmu_translate(s, 0, VMACCEL_SMMU_NO_SSID, page << 12,
                                       VMACCEL_SMMU_READ, &res);
            }
            if (l) lru_access(l, page);
        }
        for (uint32_t d = 1; d <= HOT_DEVICES; d++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            uint64_t page = x % HOT_PAGES;
            if (s) {
                vmaccel_smmu_result res;
                vmaccel_smmu_translate(s, d, VMACCEL_SMMU_NO_SSID, page << 12,
                                       VMACCEL_SMMU_READ, &res);
            }
            if (l) lru_access(l, (uint64_t)d << 40 | page);
        }
    }
}

static uint64_t model_misses(vmaccel_smmu *s)
{
    uint64_t m = 0;
    for (uint32_t d = 0; d <= HOT_DEVICES; d++) {
        vmaccel_smmu_stream_stats st;
        vmaccel_smmu_stream_stats_get(s, d, &st);
        m += st.misses;
    }
    return m;
}

static void bench_mixed(void)
{
    const unsigned cap = 1024, rounds = 200000;
    next_free = BASE;
    memset(ram, 0, MEM_BYTES);
    uint64_t roots[HOT_DEVICES + 1];
    roots[0] = alloc_page();
    for (uint64_t p = 0; p < STREAM_PAGES; p++)
        map(roots[0], 1, p << 12, 0x100000000ull + (p << 12), 1);
    for (int d = 1; d <= HOT_DEVICES; d++) {
        roots[d] = alloc_page();
        for (uint64_t p = 0; p < HOT_PAGES; p++)
            map(roots[d], 1, p << 12, 0x200000000ull * (uint64_t)d + (p << 12), 1);
    }
    uint64_t misses[2];
    uint32_t quota[HOT_DEVICES + 1];
    for (int adaptive = 1; adaptive >= 0; adaptive--) {
        vmaccel_smmu *s = model(cap);
        vmaccel_smmu_set_partitioning(s, adaptive, 0);
        for (uint32_t d = 0; d <= HOT_DEVICES; d++)
            attach_s1(s, d, roots[d], 25, (uint16_t)(d + 1));
        mixed_trace(s, NULL, rounds);
        misses[adaptive] = model_misses(s);
        if (adaptive)
            for (uint32_t d = 0; d <= HOT_DEVICES; d++) {
                vmaccel_smmu_stream_stats st;
                vmaccel_smmu_stream_stats_get(s, d, &st);
                quota[d] = st.iotlb_quota;
            }
        vmaccel_smmu_free(s);
    }
    lru l = {0};
    l.cap = cap;
    l.hbits = 12;
    l.n = calloc(cap, sizeof *l.n);
    l.head = malloc(sizeof *l.head << l.hbits);
    for (unsigned i = 0; i < 1u << l.hbits; i++)
        l.head[i] = -1;
    l.mru = l.lru_end = -1;
    mixed_trace(NULL, &l, rounds);
    uint64_t total = (uint64_t)rounds * (STREAM_PER_ROUND + HOT_DEVICES);
    printf("mixed   capacity %u, %llu accesses (streaming device: %d of every %d; "
           "%d devices x %d hot pages)\n", cap, (unsigned long long)total,
           STREAM_PER_ROUND, STREAM_PER_ROUND + HOT_DEVICES, HOT_DEVICES, HOT_PAGES);
    printf("        exact global LRU        %9llu misses\n", (unsigned long long)l.misses);
    printf("        model, global CLOCK     %9llu misses\n", (unsigned long long)misses[0]);
    printf("        model, adaptive UCP     %9llu misses (%.1f%% fewer than global LRU)\n",
           (unsigned long long)misses[1],
           100.0 * ((double)l.misses - (double)misses[1]) / (double)l.misses);
    printf("        final quotas: stream %u, hot", quota[0]);
    for (int d = 1; d <= HOT_DEVICES; d++)
        printf(" %u", quota[d]);
    printf("\n");
    free(l.n);
    free(l.head);
}

int main(int argc, char **argv)
{
    ram = calloc(1, MEM_BYTES);
    if (!ram)
        return 1;
    const char *all[] = {"hit", "many", "miss4", "nested", "inval", "mixed"};
    int n = argc > 1 ? argc - 1 : 6;
    for (int i = 0; i < n; i++) {
        const char *w = argc > 1 ? argv[i + 1] : all[i];
        if (!strcmp(w, "hit")) bench_hit();
        else if (!strcmp(w, "many")) bench_many();
        else if (!strcmp(w, "miss4")) bench_miss4();
        else if (!strcmp(w, "nested")) bench_nested();
        else if (!strcmp(w, "inval")) bench_inval();
        else if (!strcmp(w, "mixed")) bench_mixed();
        else {
            fprintf(stderr, "usage: bench_smmu [hit|many|miss4|nested|inval|mixed]...\n");
            return 2;
        }
    }
    free(ram);
    return sink == 42; /* keep the results alive */
}
