/*
 * libFuzzer harness for the SMMUv3 model: a guest memory image, then a
 * sequence of operations (MMIO writes and reads, translations, host
 * attach/detach/invalidate, ATS Translation Requests and Translated
 * transactions, PRI page requests, stalls and their ends, ATC invalidation
 * completions) on a fresh model. Everything the guest controls (stream
 * table, STEs, CDs with HTTU and stall bits, page tables the walks update,
 * commands, the event and PRI queues and their pointers) comes from the
 * input.
 *
 * Input: u32 memory length (capped at 1 MiB), that many bytes placed at
 * MEM_BASE, then 24-byte operations:
 *   u8 kind, u8 flags, u16 unused, u32 a, u64 b, u64 c   (little-endian)
 */
#include <vmaccel/vmaccel.h>

#include <stdlib.h>
#include <string.h>

#define MEM_BASE 0x40000000ull
#define MEM_MAX (1u << 20)
#define OP_BYTES 24

typedef struct guest {
    uint8_t *mem;
    size_t len;
    unsigned atc_calls;
    uint64_t pending[8];      /* ATC invalidations left for later */
    unsigned npending;
    uint32_t stalls[8];       /* stall ids seen */
    unsigned nstalls;
} guest;

static int rd(void *ctx, uint64_t a, void *buf, size_t n)
{
    guest *g = ctx;
    if (a < MEM_BASE || a - MEM_BASE > g->len || n > g->len - (a - MEM_BASE))
        return -1;
    memcpy(buf, g->mem + (a - MEM_BASE), n);
    return 0;
}

static int wr(void *ctx, uint64_t a, const void *buf, size_t n)
{
    guest *g = ctx;
    if (a < MEM_BASE || a - MEM_BASE > g->len || n > g->len - (a - MEM_BASE))
        return -1;
    memcpy(g->mem + (a - MEM_BASE), buf, n);
    return 0;
}

static int cas(void *ctx, uint64_t a, uint64_t *expected, uint64_t desired)
{
    guest *g = ctx;
    if (a < MEM_BASE || a - MEM_BASE > g->len || 8 > g->len - (a - MEM_BASE))
        return -1;
    uint64_t now;
    memcpy(&now, g->mem + (a - MEM_BASE), 8);
    if (now != *expected) {
        *expected = now;
        return 1;
    }
    memcpy(g->mem + (a - MEM_BASE), &desired, 8);
    return 0;
}

/* The endpoint: ATC invalidations done, failed or left for later in turn. */
static int atc_inv(void *ctx, const vmaccel_smmu_atc_inv *inv)
{
    guest *g = ctx;
    switch (g->atc_calls++ % 3) {
    case 0:
        return 0;
    case 1:
        return -1;
    default:
        if (g->npending == 8)
            return 0;
        g->pending[g->npending++] = inv->id;
        return VMACCEL_EAGAIN;
    }
}

static void prg_response(void *ctx, const vmaccel_smmu_prg_response *r)
{
    (void)ctx;
    (void)r;
}

static void sync_cb(void *ctx, uint32_t idx) { (void)ctx; (void)idx; }
static void irq_cb(void *ctx, vmaccel_smmu_irq irq) { (void)ctx; (void)irq; }

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Registers worth hitting often; 64-bit ones are marked. */
static const struct { uint32_t off; unsigned size; } regs[] = {
    {0x20, 4}, {0x28, 4}, {0x2c, 4}, {0x44, 4}, {0x50, 4}, {0x64, 4},
    {0x68, 8}, {0x70, 4}, {0x80, 8}, {0x88, 4}, {0x90, 8}, {0x98, 4},
    {0x9c, 4}, {0xa0, 8}, {0xb0, 8}, {0xb8, 4}, {0x100a8, 4}, {0x100ac, 4},
    {0xc0, 8}, {0xd0, 8}, {0xd8, 4}, {0xdc, 4}, {0x100c8, 4}, {0x100cc, 4},
};
#define NREGS (sizeof regs / sizeof regs[0])

static void op_mmio(vmaccel_smmu *s, uint8_t flags, uint32_t a, uint64_t b, int write)
{
    uint64_t off;
    unsigned size;
    if (flags & 0x80) { /* anywhere, any size: errors are fine */
        off = a % 0x20004;
        size = flags & 1 ? 8 : (flags & 2 ? 4 : flags & 0x7c);
    } else {
        off = regs[a % NREGS].off;
        size = regs[a % NREGS].size;
        if (size == 8 && (flags & 1)) { /* a 32-bit half */
            size = 4;
            off += flags & 2 ? 4 : 0;
        }
    }
    /* Addresses land in the image more often than not. */
    if (flags & 0x40)
        b = MEM_BASE + (b & 0xfffff) + (b & 0xffff00000000001full);
    uint64_t v;
    if (write)
        vmaccel_smmu_mmio_write(s, off, size, b);
    else
        vmaccel_smmu_mmio_read(s, off, size, &v);
}

static void op_translate(vmaccel_smmu *s, uint8_t flags, uint32_t a, uint64_t b,
                         uint64_t c)
{
    vmaccel_smmu_result r;
    uint32_t ssid = flags & 1 ? (uint32_t)(c >> 32) & 0x1fffff : VMACCEL_SMMU_NO_SSID;
    vmaccel_smmu_translate(s, flags & 2 ? a : a & 0xff, ssid, b, (unsigned)c & 31, &r);
}

static void op_host(vmaccel_smmu *s, uint8_t flags, uint32_t a, uint64_t b, uint64_t c)
{
    uint32_t sid = a & 0x1ffff;
    switch (flags % 4) {
    case 0: {
        vmaccel_smmu_domain d;
        vmaccel_smmu_domain_init(&d);
        d.mode = (vmaccel_smmu_mode)(c % 6);
        d.s1_ttb0 = MEM_BASE + (b & 0xffff0);
        d.s1_ttb1 = MEM_BASE + ((b >> 20) & 0xffff0);
        d.s1_t0sz = (unsigned)(c >> 8) % 48;
        d.s1_t1sz = (unsigned)(c >> 14) % 48;
        d.s1_granule0 = 4096u << (2 * ((c >> 20) % 3));
        d.s1_granule1 = 4096u << (2 * ((c >> 22) % 3));
        d.s1_epd1 = (c >> 24) & 1;
        d.s1_ips_bits = 32 + 4 * ((c >> 25) % 5);
        d.asid = (uint16_t)(c >> 28);
        d.s1_pan = (c >> 44) & 1;
        d.s1_wxn = (c >> 45) & 1;
        d.el2 = (c >> 46) & 1;
        d.s2_ttb = MEM_BASE + ((b >> 40) << 4);
        d.s2_t0sz = (unsigned)(c >> 47) % 48;
        d.s2_sl0 = (unsigned)(c >> 53) & 3;
        d.s2_granule = 4096u << (2 * ((c >> 55) % 3));
        d.s2_ps_bits = 32 + 4 * ((c >> 57) % 5);
        d.vmid = (uint16_t)(c >> 60);
        d.s1_ha = (b >> 8) & 1;
        d.s1_hd = (b >> 9) & 1;
        d.s2_ha = (b >> 10) & 1;
        d.s2_hd = (b >> 11) & 1;
        d.s1_stall = (b >> 12) & 1;
        d.s2_stall = (b >> 13) & 1;
        d.eats = (unsigned)(b >> 14) & 3;
        vmaccel_smmu_attach(s, sid, &d);
        break;
    }
    case 1:
        vmaccel_smmu_detach(s, sid);
        break;
    case 2:
        vmaccel_smmu_invalidate(s, (vmaccel_smmu_inval_scope)(c % 5), (uint16_t)(c >> 8),
                                (uint16_t)(c >> 24), b, c >> 40);
        break;
    default:
        vmaccel_smmu_set_partitioning(s, c & 1, (unsigned)(c >> 1) & 0xff);
        vmaccel_smmu_repartition(s);
    }
}

/* The PCIe side: ATS requests, Translated transactions, page requests. */
static void op_pcie(vmaccel_smmu *s, uint8_t flags, uint32_t a, uint64_t b, uint64_t c)
{
    uint32_t sid = flags & 2 ? a : a & 0xff;
    uint32_t ssid = flags & 1 ? (uint32_t)(c >> 32) & 0x1fffff : VMACCEL_SMMU_NO_SSID;
    switch ((flags >> 2) % 3) {
    case 0: {
        vmaccel_smmu_ats_result r;
        vmaccel_smmu_ats_translate(s, sid, ssid, b, (unsigned)c & 31, &r);
        break;
    }
    case 1:
        vmaccel_smmu_ats_translated(s, sid, b, (unsigned)c & 31);
        break;
    default: {
        vmaccel_smmu_ppr_outcome o;
        vmaccel_smmu_page_request(s, sid, ssid, b, (unsigned)c & 31,
                                  (unsigned)(c >> 8) & 0x3ff, (unsigned)(c >> 20) & 7, &o);
    }
    }
}

/* Stalls: a transaction that may stall, or the end of one seen before;
 * and the completion of ATC invalidations left pending. */
static void op_stall(vmaccel_smmu *s, guest *g, uint8_t flags, uint32_t a, uint64_t b,
                     uint64_t c)
{
    if (flags & 1) {
        vmaccel_smmu_result r;
        uint32_t id;
        uint32_t ssid = flags & 2 ? (uint32_t)(c >> 32) & 0x1fffff : VMACCEL_SMMU_NO_SSID;
        if (vmaccel_smmu_translate_stallable(s, a & 0xff, ssid, b, (unsigned)c & 31, &r,
                                             &id) == VMACCEL_EAGAIN &&
            g->nstalls < 8)
            g->stalls[g->nstalls++] = id;
    } else if (flags & 2) {
        vmaccel_smmu_stall_end how;
        uint32_t id = g->nstalls ? g->stalls[a % g->nstalls] : a;
        vmaccel_smmu_stall_wait(s, id, 0, &how);
    } else if (g->npending) {
        vmaccel_smmu_atc_inv_done(s, g->pending[--g->npending], (int)(c & 1));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    size_t mlen = (size_t)le(data, 4) % (MEM_MAX + 1);
    data += 4;
    size -= 4;
    if (mlen > size)
        mlen = size;
    guest g = {.mem = malloc(mlen ? mlen : 1), .len = mlen};
    if (!g.mem)
        return 0;
    memcpy(g.mem, data, mlen);
    data += mlen;
    size -= mlen;

    vmaccel_smmu_options o = VMACCEL_SMMU_OPTIONS_INIT;
    o.iotlb_entries = 64; /* small: eviction and partitioning get exercised */
    vmaccel_smmu *s;
    if (vmaccel_smmu_new(&o, &s)) {
        free(g.mem);
        return 0;
    }
    vmaccel_smmu_memory m = VMACCEL_SMMU_MEMORY_INIT;
    m.read = rd;
    m.write = wr;
    m.sync = sync_cb;
    m.irq = irq_cb;
    m.cas = cas;
    m.ctx = &g;
    vmaccel_smmu_set_memory(s, &m);
    vmaccel_smmu_endpoint_ops ep = VMACCEL_SMMU_ENDPOINT_OPS_INIT;
    ep.ctx = &g;
    ep.atc_inv = atc_inv;
    ep.prg_response = prg_response;
    vmaccel_smmu_set_endpoint_ops(s, &ep);
    for (; size >= OP_BYTES; data += OP_BYTES, size -= OP_BYTES) {
        uint8_t kind = data[0], flags = data[1];
        uint32_t a = (uint32_t)le(data + 4, 4);
        uint64_t b = le(data + 8, 8), c = le(data + 16, 8);
        switch (kind % 7) {
        case 0:
        case 1: op_mmio(s, flags, a, b, 1); break;
        case 2: op_mmio(s, flags, a, b, 0); break;
        case 3: op_translate(s, flags, a, b, c); break;
        case 4: op_host(s, flags, a, b, c); break;
        case 5: op_pcie(s, flags, a, b, c); break;
        default: op_stall(s, &g, flags, a, b, c); break;
        }
    }
    vmaccel_smmu_free(s);
    free(g.mem);
    return 0;
}
