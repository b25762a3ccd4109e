// A guest for SMMU model tests: guest RAM whose every 8-byte word is read
// and written atomically (the model may walk tables while another thread
// changes them), the model's callbacks (memory, compare-and-swap, sync,
// interrupts, endpoint messages), stage-1/stage-2 table builders and the
// register front end's queues. Tables and structures are written here from
// the VMSAv8-64 and SMMUv3 formats, not with the model's code.
#pragma once

#include <catch2/catch.hpp>

#include <vmaccel/vmaccel.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <vector>

namespace smmu_test {

const uint64_t BASE = 0x40000000;
const unsigned R = VMACCEL_SMMU_READ, W = VMACCEL_SMMU_WRITE, X = VMACCEL_SMMU_EXEC,
               PRIV = VMACCEL_SMMU_PRIV;
const uint32_t NOSS = VMACCEL_SMMU_NO_SSID;

// Descriptor bits (VMSAv8-64).
const uint64_t AF = 1ull << 10, AP2 = 1ull << 7, S2AP_W = 1ull << 7, DBM = 1ull << 51;

struct Guest {
    std::vector<uint64_t> words = std::vector<uint64_t>((8u << 20) / 8);
    uint64_t next = BASE + 0x100000; // bump allocator for tables
    std::mutex mu;                   // guards the recorded notifications
    std::vector<uint32_t> syncs;
    std::vector<int> irqs;
    std::vector<vmaccel_smmu_atc_inv> atc_invs;
    std::vector<vmaccel_smmu_prg_response> prg;
    std::vector<std::pair<uint32_t, vmaccel_smmu_stall_end>> stall_ends;
    int atc_answer = 0;              // what atc_inv returns
    std::atomic<unsigned> cas_calls{0};

    uint64_t size() const { return words.size() * 8; }
    bool inside(uint64_t a, size_t len) const
    {
        return a >= BASE && a - BASE <= size() && len <= size() - (a - BASE);
    }
    uint64_t *word(uint64_t a) { return &words[(a - BASE) / 8]; }
    uint64_t alloc(uint64_t bytes)
    {
        uint64_t a = (next + bytes - 1) & ~(bytes - 1);
        next = a + bytes;
        REQUIRE(next - BASE <= size());
        return a;
    }
    uint64_t r64(uint64_t a) { return __atomic_load_n(word(a), __ATOMIC_SEQ_CST); }
    void w64(uint64_t a, uint64_t v) { __atomic_store_n(word(a), v, __ATOMIC_SEQ_CST); }
    uint32_t r32(uint64_t a) { return (uint32_t)(r64(a & ~7ull) >> (a & 4 ? 32 : 0)); }

    static int read(void *ctx, uint64_t addr, void *buf, size_t len)
    {
        Guest *g = static_cast<Guest *>(ctx);
        if (!g->inside(addr, len))
            return -1;
        auto *out = static_cast<uint8_t *>(buf);
        for (size_t i = 0; i < len; i++)
            out[i] = (uint8_t)(g->r64((addr + i) & ~7ull) >> 8 * ((addr + i) & 7));
        return 0;
    }
    static int write(void *ctx, uint64_t addr, const void *buf, size_t len)
    {
        Guest *g = static_cast<Guest *>(ctx);
        if (!g->inside(addr, len))
            return -1;
        const auto *in = static_cast<const uint8_t *>(buf);
        for (size_t i = 0; i < len; i++) {
            uint64_t *w = g->word((addr + i) & ~7ull);
            unsigned sh = 8 * ((addr + i) & 7);
            uint64_t old = __atomic_load_n(w, __ATOMIC_SEQ_CST), v;
            do
                v = (old & ~(0xffull << sh)) | (uint64_t)in[i] << sh;
            while (!__atomic_compare_exchange_n(w, &old, v, false, __ATOMIC_SEQ_CST,
                                                __ATOMIC_SEQ_CST));
        }
        return 0;
    }
    static int cas(void *ctx, uint64_t addr, uint64_t *expected, uint64_t desired)
    {
        Guest *g = static_cast<Guest *>(ctx);
        g->cas_calls++;
        if (!g->inside(addr, 8) || (addr & 7))
            return -1;
        return __atomic_compare_exchange_n(g->word(addr), expected, desired, false,
                                           __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) ? 0 : 1;
    }
    static void sync(void *ctx, uint32_t idx)
    {
        Guest *g = static_cast<Guest *>(ctx);
        std::lock_guard<std::mutex> l(g->mu);
        g->syncs.push_back(idx);
    }
    static void irq(void *ctx, vmaccel_smmu_irq i)
    {
        Guest *g = static_cast<Guest *>(ctx);
        std::lock_guard<std::mutex> l(g->mu);
        g->irqs.push_back(i);
    }
    static int atc_inv(void *ctx, const vmaccel_smmu_atc_inv *inv)
    {
        Guest *g = static_cast<Guest *>(ctx);
        std::lock_guard<std::mutex> l(g->mu);
        g->atc_invs.push_back(*inv);
        return g->atc_answer;
    }
    static void prg_response(void *ctx, const vmaccel_smmu_prg_response *r)
    {
        Guest *g = static_cast<Guest *>(ctx);
        std::lock_guard<std::mutex> l(g->mu);
        g->prg.push_back(*r);
    }
    static void stall_end(void *ctx, uint32_t id, vmaccel_smmu_stall_end how)
    {
        Guest *g = static_cast<Guest *>(ctx);
        std::lock_guard<std::mutex> l(g->mu);
        g->stall_ends.emplace_back(id, how);
    }
};

// A 4K-granule table tree (levels `start`..3) for a 39-bit (stage 1) or
// 40-bit (stage 2, SL0 1) input: table descriptors 0b11, leaves built by
// the caller from the VMSAv8-64 formats.
struct Tables {
    Guest &g;
    uint64_t root;
    explicit Tables(Guest &guest) : g(guest), root(guest.alloc(4096)) {}
    uint64_t next_table(uint64_t table, unsigned idx, uint64_t table_bits = 0)
    {
        uint64_t d = g.r64(table + 8 * idx);
        if ((d & 3) != 3) {
            uint64_t t = g.alloc(4096);
            g.w64(table + 8 * idx, t | 3 | table_bits);
            return t;
        }
        return d & 0xfffffffff000ull;
    }
    // Address of the level-3 descriptor of `ia` (tables made as needed;
    // `l1_bits` goes into a new level-1 table descriptor, e.g. APTable).
    uint64_t slot(uint64_t ia, uint64_t l1_bits = 0)
    {
        uint64_t l2 = next_table(root, (ia >> 30) & 511, l1_bits);
        uint64_t l3 = next_table(l2, (ia >> 21) & 511);
        return l3 + 8 * ((ia >> 12) & 511);
    }
    // Stage-1 page: AP[2:1] at 7:6, AF 10, DBM 51; descriptor 0b11.
    uint64_t page(uint64_t va, uint64_t pa, unsigned ap = 1, bool af = true,
                  uint64_t extra = 0)
    {
        uint64_t a = slot(va);
        g.w64(a, pa | 3 | (uint64_t)ap << 6 | (af ? AF : 0) | extra);
        return a;
    }
    // Stage-2 page: MemAttr Normal WB (0b1111 at 5:2), S2AP at 7:6, AF.
    uint64_t s2page(uint64_t ipa, uint64_t pa, unsigned s2ap = 3, bool af = true,
                    uint64_t extra = 0)
    {
        uint64_t a = slot(ipa);
        g.w64(a, pa | 3 | 0xfull << 2 | (uint64_t)s2ap << 6 | (af ? AF : 0) | extra);
        return a;
    }
};

struct Model {
    vmaccel_smmu *s = nullptr;
    Guest g;
    explicit Model(unsigned entries = 0, bool with_cas = true)
    {
        vmaccel_smmu_options o = VMACCEL_SMMU_OPTIONS_INIT;
        o.iotlb_entries = entries;
        REQUIRE(vmaccel_smmu_new(&o, &s) == 0);
        vmaccel_smmu_memory m = VMACCEL_SMMU_MEMORY_INIT;
        m.read = Guest::read;
        m.write = Guest::write;
        m.sync = Guest::sync;
        m.irq = Guest::irq;
        m.cas = with_cas ? Guest::cas : nullptr;
        m.ctx = &g;
        REQUIRE(vmaccel_smmu_set_memory(s, &m) == 0);
    }
    ~Model() { vmaccel_smmu_free(s); }
    Model(const Model &) = delete;
    Model &operator=(const Model &) = delete;
    void endpoints(bool stall_callback = false)
    {
        vmaccel_smmu_endpoint_ops ops = VMACCEL_SMMU_ENDPOINT_OPS_INIT;
        ops.ctx = &g;
        ops.atc_inv = Guest::atc_inv;
        ops.prg_response = Guest::prg_response;
        ops.stall_end = stall_callback ? Guest::stall_end : nullptr;
        REQUIRE(vmaccel_smmu_set_endpoint_ops(s, &ops) == 0);
    }
    uint32_t rd(uint64_t off)
    {
        uint64_t v = 0;
        REQUIRE(vmaccel_smmu_mmio_read(s, off, 4, &v) == 0);
        return (uint32_t)v;
    }
    void wr(uint64_t off, uint64_t v, unsigned size = 4)
    {
        REQUIRE(vmaccel_smmu_mmio_write(s, off, size, v) == 0);
    }
};

inline vmaccel_smmu_domain s1_domain(uint64_t ttb, uint16_t asid)
{
    vmaccel_smmu_domain d;
    vmaccel_smmu_domain_init(&d);
    d.mode = VMACCEL_SMMU_MODE_S1;
    d.s1_ttb0 = ttb;
    d.s1_t0sz = 25;
    d.asid = asid;
    return d;
}

inline vmaccel_smmu_stream_stats stats(vmaccel_smmu *s, uint32_t sid)
{
    vmaccel_smmu_stream_stats st;
    REQUIRE(vmaccel_smmu_stream_stats_get(s, sid, &st) == 0);
    return st;
}

// Register offsets used by the tests (IHI 0070 6.2).
enum : uint64_t {
    CR0 = 0x20, IRQ_CTRL = 0x50, GERROR = 0x60, GERRORN = 0x64, STRTAB_BASE = 0x80,
    STRTAB_CFG = 0x88, CMDQ_BASE = 0x90, CMDQ_PROD = 0x98, CMDQ_CONS = 0x9c,
    EVENTQ_BASE = 0xa0, PRIQ_BASE = 0xc0, PRIQ_IRQ_CFG2 = 0xdc, EVENTQ_PROD = 0x100a8,
    EVENTQ_CONS = 0x100ac, PRIQ_PROD = 0x100c8, PRIQ_CONS = 0x100cc
};
enum : uint32_t { SMMUEN = 1, PRIQEN = 2, EVENTQEN = 4, CMDQEN = 8, ATSCHK = 16 };

// Command queue at CQ (16 entries), event queue at EQ (2^evlog2 entries).
const uint64_t CQ = BASE + 0x10000, EQ = BASE + 0x20000, PQ = BASE + 0x30000;

inline void setup_queues(Model &m, unsigned evlog2 = 2)
{
    m.wr(CMDQ_BASE, CQ | 4, 8);
    m.wr(CMDQ_CONS, 0);
    m.wr(CMDQ_PROD, 0);
    m.wr(EVENTQ_BASE, EQ | evlog2, 8);
    m.wr(EVENTQ_PROD, 0);
    m.wr(EVENTQ_CONS, 0);
    m.wr(CR0, EVENTQEN | CMDQEN);
}

inline void push(Model &m, uint64_t c0, uint64_t c1)
{
    uint32_t prod = m.rd(CMDQ_PROD);
    uint64_t a = CQ + (prod & 15) * 16;
    m.g.w64(a, c0);
    m.g.w64(a + 8, c1);
    m.wr(CMDQ_PROD, (prod + 1) & 31);
}

// Event record `i` of the queue at EQ (four dwords).
struct Event {
    uint64_t d[4];
    unsigned type() const { return d[0] & 0xff; }
    uint32_t sid() const { return (uint32_t)(d[0] >> 32); }
    bool stall() const { return (d[1] >> 31) & 1; }
    uint32_t stag() const { return (uint32_t)(d[1] & 0xffff); }
};
inline Event event(Model &m, unsigned i)
{
    Event e;
    for (int k = 0; k < 4; k++)
        e.d[k] = m.g.r64(EQ + 32 * i + 8 * k);
    return e;
}

// A linear stream table (16 STEs) with the register front end enabled.
struct GuestStreams {
    Model &m;
    uint64_t strtab;
    explicit GuestStreams(Model &model) : m(model), strtab(model.g.alloc(64 * 16))
    {
        m.wr(STRTAB_BASE, strtab, 8);
        m.wr(STRTAB_CFG, 4);
    }
    // A CD: T0SZ 25, TG0 4K, EPD1, V, IPS 48, AA64, R, A, ASID, TTB0, plus
    // `cd_bits` (HA 43, HD 42, S 44); an STE (V, Config S1) with `ste1`
    // in dword 1 (S1STALLD 91, EATS 93:92).
    void s1(uint32_t sid, uint64_t ttb, uint16_t asid, uint64_t cd_bits = 0,
            uint64_t ste1 = 0)
    {
        uint64_t cda = m.g.alloc(64);
        m.g.w64(cda, 25 | 1ull << 30 | 1ull << 31 | 5ull << 32 | 1ull << 41 |
                         1ull << 45 | 1ull << 46 | (uint64_t)asid << 48 | cd_bits);
        m.g.w64(cda + 8, ttb);
        uint64_t e = strtab + 64 * sid;
        m.g.w64(e, 1 | 5u << 1 | cda);
        m.g.w64(e + 8, ste1);
    }
    // An STE of another Config without translation (0: abort, 4: bypass).
    void plain(uint32_t sid, unsigned config, uint64_t ste1 = 0)
    {
        uint64_t e = strtab + 64 * sid;
        m.g.w64(e, 1 | config << 1);
        m.g.w64(e + 8, ste1);
    }
};

} // namespace smmu_test
