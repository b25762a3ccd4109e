// Hardware translation table updates (IHI 0070 3.13, the Armv8-A hardware
// Access flag and dirty state rules): what the walk leaves in guest memory,
// and what it must not touch.
#include "smmu_fixture.hpp"

using namespace smmu_test;

namespace {

vmaccel_smmu_domain httu_domain(uint64_t ttb, bool ha, bool hd)
{
    vmaccel_smmu_domain d = s1_domain(ttb, 1);
    d.s1_ha = ha;
    d.s1_hd = hd;
    return d;
}

// Host attach of a nested domain whose stage 2 maps [BASE+1M, end) 1:1
// (the stage-1 tables) with S2AP `table_s2ap` and `table_extra` bits, and
// IPA 0x80000000 to PA 0xa0000000 read-only with DBM.
struct Nested {
    Model &m;
    Tables s1, s2;
    uint64_t out_desc = 0;
    Nested(Model &model, unsigned table_s2ap, uint64_t table_extra, bool s2ha, bool s2hd)
        : m(model), s1(model.g), s2(model.g)
    {
        s1.page(0x1000, 0x80000000, 1, false); // AF=0: HA must write it
        uint64_t s1_end = m.g.next;
        for (uint64_t a = BASE + 0x100000; a < s1_end; a += 4096)
            s2.s2page(a, a, table_s2ap, true, table_extra);
        out_desc = s2.s2page(0x80000000, 0xa0000000, 1, true, DBM);
        vmaccel_smmu_domain d = s1_domain(s1.root, 9);
        d.mode = VMACCEL_SMMU_MODE_NESTED;
        d.s1_ha = true;
        d.s2_ttb = s2.root;
        d.s2_t0sz = 25;
        d.s2_sl0 = 1;
        d.vmid = 4;
        d.s2_ha = s2ha;
        d.s2_hd = s2hd;
        REQUIRE(vmaccel_smmu_attach(m.s, 1, &d) == 0);
    }
};

} // namespace

TEST_CASE("HA: a walk sets the Access flag in memory instead of faulting", "[smmu][httu]")
{
    Model m;
    Tables t(m.g);
    uint64_t a = t.page(0x1000, 0x80000000, 1, false);
    vmaccel_smmu_domain d = httu_domain(t.root, false, false);
    REQUIRE(vmaccel_smmu_attach(m.s, 1, &d) == 0);
    vmaccel_smmu_result r;
    CHECK(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1000, R, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_ACCESS);
    CHECK_FALSE(m.g.r64(a) & AF);            // no HTTU: nothing written
    d = httu_domain(t.root, true, false);
    REQUIRE(vmaccel_smmu_attach(m.s, 2, &d) == 0);
    REQUIRE(vmaccel_smmu_translate(m.s, 2, NOSS, 0x1008, R, &r) == 0);
    CHECK(r.pa == 0x80000008);
    CHECK(m.g.r64(a) == (0x80000000 | 3 | 1u << 6 | AF)); // only AF changed
    CHECK(m.g.cas_calls == 1);
    REQUIRE(vmaccel_smmu_translate(m.s, 2, NOSS, 0x1010, R, &r) == 0);
    CHECK(m.g.cas_calls == 1);               // set: no second update
}

TEST_CASE("HD: a write to a writable-clean (DBM) page makes it dirty, a read does not",
          "[smmu][httu]")
{
    Model m;
    Tables t(m.g);
    uint64_t clean = t.page(0x1000, 0x80000000, 3, false, DBM); // AP=11: RO, DBM
    uint64_t ro = t.page(0x2000, 0x80001000, 3, true);          // RO, no DBM
    vmaccel_smmu_domain d = httu_domain(t.root, true, true);
    REQUIRE(vmaccel_smmu_attach(m.s, 1, &d) == 0);
    vmaccel_smmu_result r;
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1000, R, &r) == 0);
    CHECK(r.perm == (R | X));                // still clean: no write permission
    CHECK((m.g.r64(clean) & (AF | AP2)) == (AF | AP2));
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1000, R | W, &r) == 0);
    CHECK((r.perm & W) == W);
    CHECK(m.g.r64(clean) == (0x80000000 | 3 | 1u << 6 | AF | DBM)); // AP[2] cleared
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1000, W, &r) == 0);
    CHECK(stats(m.s, 1).hits == 1);          // the refreshed entry is writable
    CHECK(vmaccel_smmu_translate(m.s, 1, NOSS, 0x2000, W, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_PERMISSION);
    CHECK(m.g.r64(ro) == (0x80001000 | 3 | 3u << 6 | AF)); // untouched
}

TEST_CASE("dirty updates only where AP[2] alone forbids the write", "[smmu][httu]")
{
    Model m;
    Tables t(m.g);
    // AP=0b10: EL1 read-only, no EL0 access: an EL0 write stays denied.
    uint64_t el1 = t.page(0x1000, 0x80000000, 2, true, DBM);
    // APTable[1] (no writes below) on a level-1 table: not writable-clean.
    uint64_t a = t.slot(0x40000000, 2ull << 61);
    m.g.w64(a, 0x80002000 | 3 | 3u << 6 | AF | DBM);
    vmaccel_smmu_domain d = httu_domain(t.root, true, true);
    REQUIRE(vmaccel_smmu_attach(m.s, 1, &d) == 0);
    vmaccel_smmu_result r;
    CHECK(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1000, W, &r) == VMACCEL_EFAULT);
    CHECK(m.g.r64(el1) & AP2);
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1000, W | PRIV, &r) == 0);
    CHECK_FALSE(m.g.r64(el1) & AP2);         // EL1 may write once dirty
    CHECK(vmaccel_smmu_translate(m.s, 1, NOSS, 0x40000000, W | PRIV, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_PERMISSION);
    CHECK(m.g.r64(a) & AP2);
    // HA alone: a write to a writable-clean page is a Permission fault.
    Tables u(m.g);
    uint64_t c = u.page(0x1000, 0x80000000, 3, false, DBM);
    d = httu_domain(u.root, true, false);
    REQUIRE(vmaccel_smmu_attach(m.s, 2, &d) == 0);
    CHECK(vmaccel_smmu_translate(m.s, 2, NOSS, 0x1000, W, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_PERMISSION);
    CHECK(m.g.r64(c) == (0x80000000 | 3 | 3u << 6 | DBM)); // not even AF (UNKNOWN)
    d.s1_hd = true;
    d.s1_ha = false;                          // {HD, HA} 0b10 is reserved
    CHECK(vmaccel_smmu_attach(m.s, 3, &d) == VMACCEL_EINVAL);
}

TEST_CASE("stage-2 HTTU: S2AP write bit set for a DBM page, AF for a table walk",
          "[smmu][httu][nested]")
{
    Model m;
    Nested n(m, 3, 0, true, true);
    vmaccel_smmu_result r;
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1000, R, &r) == 0);
    CHECK(r.pa == 0xa0000000);
    CHECK_FALSE(m.g.r64(n.out_desc) & S2AP_W);
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1000, W, &r) == 0);
    CHECK(m.g.r64(n.out_desc) & S2AP_W);   // stage 2 dirty
    CHECK(m.g.r64(n.s1.slot(0x1000)) & AF); // stage-1 AF through a stage-2 write
}

TEST_CASE("a stage-1 update is a stage-2 write: read-only table pages fault with TTRnW 0",
          "[smmu][httu][nested]")
{
    Model m;
    setup_queues(m);
    m.wr(CR0, SMMUEN | EVENTQEN | CMDQEN);
    Nested n(m, 1, 0, false, false);          // tables mapped S2AP=01, no DBM
    vmaccel_smmu_result r;
    CHECK(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1000, R, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_PERMISSION);
    CHECK(r.fault.stage == 2);
    CHECK(r.fault.fault_class == 1);          // CLASS=TT
    CHECK(r.fault.ipa == n.s1.slot(0x1000));
    CHECK_FALSE(m.g.r64(n.s1.slot(0x1000)) & AF);
    Event e = event(m, 0);
    CHECK(e.type() == VMACCEL_SMMU_EVT_F_PERMISSION);
    CHECK(((e.d[1] >> 44) & 1) == 0);          // TTRnW: a descriptor write
    // With DBM and S2HD the table page itself becomes dirty.
    Model m2;
    Nested n2(m2, 1, DBM, true, true);
    REQUIRE(vmaccel_smmu_translate(m2.s, 1, NOSS, 0x1000, R, &r) == 0);
    uint64_t l3 = n2.s1.slot(0x1000) & ~0xfffull;
    CHECK(m2.g.r64(n2.s2.slot(l3)) & S2AP_W);
}

namespace {

// A guest CPU that rewrites the descriptor just before the SMMU's update
// lands: the first `races` compare-and-swaps find memory changed to what
// `rewrite` makes of it.
struct Racer {
    Guest *g;
    unsigned races;
    uint64_t (*rewrite)(uint64_t);
    static int cas(void *ctx, uint64_t addr, uint64_t *expected, uint64_t desired)
    {
        Racer *r = static_cast<Racer *>(ctx);
        if (r->races) {
            r->races--;
            r->g->w64(addr, r->rewrite(r->g->r64(addr)));
        }
        return Guest::cas(r->g, addr, expected, desired);
    }
    static int read(void *ctx, uint64_t a, void *b, size_t n)
    {
        return Guest::read(static_cast<Racer *>(ctx)->g, a, b, n);
    }
};

void use_racer(Model &m, Racer &r)
{
    vmaccel_smmu_memory mem = VMACCEL_SMMU_MEMORY_INIT;
    mem.read = Racer::read;
    mem.cas = Racer::cas;
    mem.ctx = &r;
    REQUIRE(vmaccel_smmu_set_memory(m.s, &mem) == 0);
}

} // namespace

TEST_CASE("a lost compare-and-swap walks again with the guest's new descriptor",
          "[smmu][httu]")
{
    Model m;
    Tables t(m.g);
    uint64_t a = t.page(0x1000, 0x80000000, 1, false);
    Racer moved{&m.g, 1, [](uint64_t) -> uint64_t { return 0x90000000ull | 3 | 1u << 6; }};
    use_racer(m, moved);
    vmaccel_smmu_domain d = httu_domain(t.root, true, true);
    REQUIRE(vmaccel_smmu_attach(m.s, 1, &d) == 0);
    vmaccel_smmu_result r;
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1000, R, &r) == 0);
    CHECK(r.pa == 0x90000000);                // the guest's mapping, not the old
    CHECK(m.g.r64(a) == (0x90000000 | 3 | 1u << 6 | AF));
    Racer unmapped{&m.g, 1, [](uint64_t) -> uint64_t { return 0; }};
    use_racer(m, unmapped);
    t.page(0x2000, 0x80000000, 1, false);
    CHECK(vmaccel_smmu_translate(m.s, 1, NOSS, 0x2000, R, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_TRANSLATION);
    // A guest that rewrites the descriptor at every try: bounded, an abort.
    Racer endless{&m.g, 1000, [](uint64_t d) -> uint64_t { return d ^ (1ull << 55); }};
    use_racer(m, endless);
    t.page(0x3000, 0x80000000, 1, false);
    CHECK(vmaccel_smmu_translate(m.s, 1, NOSS, 0x3000, R, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_WALK_EABT);
    CHECK(endless.races == 1000 - 64);
}

TEST_CASE("without a cas callback: read, compare, write, without write either: an abort",
          "[smmu][httu]")
{
    Model m(0, false);                        // read and write, no cas
    Tables t(m.g);
    uint64_t a = t.page(0x1000, 0x80000000, 3, false, DBM);
    vmaccel_smmu_domain d = httu_domain(t.root, true, true);
    REQUIRE(vmaccel_smmu_attach(m.s, 1, &d) == 0);
    vmaccel_smmu_result r;
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1000, W, &r) == 0);
    CHECK(m.g.r64(a) == (0x80000000 | 3 | 1u << 6 | AF | DBM));
    CHECK(m.g.cas_calls == 0);
    // A version-1 memory struct (no cas field) with no write callback.
    struct V1 {
        unsigned version;
        vmaccel_smmu_read_fn read;
        vmaccel_smmu_write_fn write;
        void *ctx;
        void (*sync)(void *, uint32_t);
        void (*irq)(void *, vmaccel_smmu_irq);
    } v1 = {1, Guest::read, nullptr, &m.g, nullptr, nullptr};
    REQUIRE(vmaccel_smmu_set_memory(m.s, reinterpret_cast<vmaccel_smmu_memory *>(&v1)) == 0);
    uint64_t b = t.page(0x2000, 0x80000000, 1, false);
    CHECK(vmaccel_smmu_translate(m.s, 1, NOSS, 0x2000, R, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_WALK_EABT);
    CHECK(r.fault.fetch_addr == b);
    CHECK_FALSE(m.g.r64(b) & AF);
}
