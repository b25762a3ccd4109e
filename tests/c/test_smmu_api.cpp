// The SMMUv3 model through the public API: host attach/translate/
// invalidate/detach, the bounded IOTLB, and the register front end with
// the command and event queues in guest memory. Tables are written here
// from the VMSAv8-64 and SMMUv3 formats (not with the model's code).
#include "smmu_fixture.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

using namespace smmu_test;

namespace {

// The 4K stage-1 builder the tests below were written with.
struct S1 : Tables {
    explicit S1(Guest &guest) : Tables(guest) {}
    // Points the level-2 entry for va at a fresh, empty level-3 table.
    void new_l3(uint64_t va)
    {
        uint64_t l2 = next_table(root, (va >> 30) & 511);
        g.w64(l2 + 8 * ((va >> 21) & 511), g.alloc(4096) | 3);
    }
};

// Stream 5 (ASID 7) with `pages` 4K pages mapped at 0x80000000 + IOVA.
void attach_linear(Model &m, S1 &t, uint64_t pages)
{
    for (uint64_t p = 0; p < pages; p++)
        t.page(p << 12, 0x80000000 + (p << 12));
    vmaccel_smmu_domain d = s1_domain(t.root, 7);
    REQUIRE(vmaccel_smmu_attach(m.s, 5, &d) == 0);
}

} // namespace

TEST_CASE("SMMU handles: NULL, freed and bad options are errors", "[smmu][api]")
{
    vmaccel_smmu *s = nullptr;
    vmaccel_smmu_options o = VMACCEL_SMMU_OPTIONS_INIT;
    o.iotlb_entries = 3;
    CHECK(vmaccel_smmu_new(&o, &s) == VMACCEL_ERANGE);
    o.version = 99;
    CHECK(vmaccel_smmu_new(&o, &s) == VMACCEL_EINVAL);
    REQUIRE(vmaccel_smmu_new(nullptr, &s) == 0);
    vmaccel_smmu_result r;
    vmaccel_smmu_free(s);
    CHECK(vmaccel_smmu_translate(s, 0, NOSS, 0, R, &r) == VMACCEL_EINVAL);
    CHECK(vmaccel_smmu_mmio_write(s, 0x20, 4, 1) == VMACCEL_EINVAL);
    vmaccel_smmu_free(nullptr);
}

TEST_CASE("host attach: stage-1 translation, permissions, faults, statistics", "[smmu][api]")
{
    Model m;
    S1 t(m.g);
    t.page(0x1000, 0x80000000, 1);       // EL0+EL1 RW
    t.page(0x2000, 0x80001000, 3);       // RO everywhere
    t.page(0x3000, 0x80002000, 0);       // EL1 only
    t.page(0x4000, 0x80003000, 1, false); // AF=0
    vmaccel_smmu_domain d = s1_domain(t.root, 7);
    REQUIRE(vmaccel_smmu_attach(m.s, 5, &d) == 0);
    vmaccel_smmu_result r;
    REQUIRE(vmaccel_smmu_translate(m.s, 5, NOSS, 0x1234, R | W, &r) == 0);
    CHECK(r.pa == 0x80000234);
    CHECK(r.size == 4096);
    CHECK(r.perm == (R | W | X));
    REQUIRE(vmaccel_smmu_translate(m.s, 5, NOSS, 0x1ff8, R, &r) == 0); // a hit
    CHECK(r.pa == 0x80000ff8);
    CHECK(vmaccel_smmu_translate(m.s, 5, NOSS, 0x2000, W, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_PERMISSION);
    CHECK(r.fault.stage == 1);
    CHECK(r.fault.level == 3);
    CHECK(vmaccel_smmu_translate(m.s, 5, NOSS, 0x3000, R, &r) == VMACCEL_EFAULT);
    REQUIRE(vmaccel_smmu_translate(m.s, 5, NOSS, 0x3000, R | PRIV, &r) == 0);
    CHECK(r.perm == (R | W | X));
    CHECK(vmaccel_smmu_translate(m.s, 5, NOSS, 0x4000, R, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_ACCESS);
    CHECK(vmaccel_smmu_translate(m.s, 5, NOSS, 0x40000000, R, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_TRANSLATION);
    CHECK(r.fault.level == 1);
    CHECK(vmaccel_smmu_translate(m.s, 5, 3, 0x1000, R, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_C_BAD_SUBSTREAMID);
    vmaccel_smmu_stream_stats st = stats(m.s, 5);
    CHECK(st.hits == 1);
    CHECK(st.misses == 7);
    CHECK(st.faults == 5);
    CHECK(st.iotlb_used == 2);
    CHECK(vmaccel_smmu_stream_stats_get(m.s, 6, &st) == VMACCEL_ENOENT);
}

TEST_CASE("host attach: nested stage 1 through stage 2", "[smmu][api][nested]")
{
    Model m;
    S1 s1(m.g);
    s1.page(0x1000, 0x80000000, 1);       // VA -> IPA, EL0+EL1 RW
    s1.page(0x2000, 0x85000000, 1);       // IPA with no stage-2 mapping
    uint64_t s1_end = m.g.next;
    S1 s2(m.g);                           // same 39-bit 4K shape, stage-2 leaves
    for (uint64_t a = BASE + 0x100000; a < s1_end; a += 4096)
        s2.page(a, a, 3);                 // stage-1 tables: IPA = PA, S2AP RW
    s2.page(0x80000000, 0xa0000000, 1);   // S2AP=01: read only
    vmaccel_smmu_domain d = s1_domain(s1.root, 9);
    d.mode = VMACCEL_SMMU_MODE_NESTED;
    d.s2_ttb = s2.root;
    d.s2_t0sz = 25;
    d.s2_sl0 = 1;
    d.vmid = 4;
    REQUIRE(vmaccel_smmu_attach(m.s, 1, &d) == 0);
    vmaccel_smmu_result r;
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1010, R, &r) == 0);
    CHECK(r.pa == 0xa0000010);
    CHECK(r.perm == (R | X));              // S1 rwx at EL0, S2 read-only
    CHECK(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1010, W, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_PERMISSION);
    CHECK(r.fault.stage == 2);
    CHECK(r.fault.ipa == 0x80000010);
    CHECK(vmaccel_smmu_translate(m.s, 1, NOSS, 0x2000, R, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_TRANSLATION);
    CHECK(r.fault.stage == 2);
    CHECK(r.fault.fault_class == 2);       // CLASS=IN: the input to stage 2
    CHECK(r.fault.ipa == 0x85000000);
    REQUIRE(vmaccel_smmu_invalidate(m.s, VMACCEL_SMMU_INVAL_VMID, 4, 0, 0, 0) == 0);
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1010, R, &r) == 0);
    CHECK(stats(m.s, 1).hits == 0);        // the VMID invalidation dropped it
}

TEST_CASE("host attach rejects configurations the spec forbids", "[smmu][api]")
{
    Model m;
    vmaccel_smmu_domain d = s1_domain(0x40000000, 1);
    d.s1_t0sz = 12;
    CHECK(vmaccel_smmu_attach(m.s, 1, &d) == VMACCEL_EINVAL);
    d = s1_domain(0x40000000, 1);
    d.s1_granule0 = 8192;
    CHECK(vmaccel_smmu_attach(m.s, 1, &d) == VMACCEL_EINVAL);
    vmaccel_smmu_domain_init(&d);
    d.mode = VMACCEL_SMMU_MODE_S2;
    d.s2_t0sz = 16;  // 48 bits from level 2 with 4K: 27 bits at the start level
    d.s2_sl0 = 0;
    CHECK(vmaccel_smmu_attach(m.s, 1, &d) == VMACCEL_EINVAL);
    d.s2_sl0 = 2;
    CHECK(vmaccel_smmu_attach(m.s, 1, &d) == 0);
    CHECK(vmaccel_smmu_attach(m.s, 1 << 16, &d) == VMACCEL_ERANGE);
}

TEST_CASE("unattached streams abort while SMMUEN=0 with GBPA.ABORT (reset)", "[smmu][api]")
{
    Model m;
    vmaccel_smmu_result r;
    CHECK(vmaccel_smmu_translate(m.s, 9, NOSS, 0x1000, R, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_NONE);
    m.wr(0x44, 1u << 31); // GBPA: Update, ABORT=0
    CHECK(m.rd(0x44) == 0);
    REQUIRE(vmaccel_smmu_translate(m.s, 9, NOSS, 0x1000, R, &r) == 0);
    CHECK(r.pa == 0x1000);
}

TEST_CASE("IOTLB: bounded, entries survive until invalidated, then walk again", "[smmu][api][iotlb]")
{
    Model m(64);
    S1 t(m.g);
    for (uint64_t p = 0; p < 256; p++)
        t.page(p << 12, 0x80000000 + (p << 12));
    vmaccel_smmu_domain d = s1_domain(t.root, 3);
    REQUIRE(vmaccel_smmu_attach(m.s, 1, &d) == 0);
    vmaccel_smmu_result r;
    for (uint64_t p = 0; p < 256; p++)
        REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, p << 12, R, &r) == 0);
    vmaccel_smmu_stream_stats st = stats(m.s, 1);
    CHECK(st.iotlb_used <= 64);
    CHECK(st.misses == 256);

    // Remap page 0 in memory: the cached translation stays until a TLBI.
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x0, R, &r) == 0);
    t.page(0, 0x90000000);
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x0, R, &r) == 0);
    uint64_t before = r.pa;
    REQUIRE(vmaccel_smmu_invalidate(m.s, VMACCEL_SMMU_INVAL_ASID, 0, 4, 0, 0) == 0);
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x0, R, &r) == 0);
    CHECK(r.pa == before);  // another ASID: untouched
    REQUIRE(vmaccel_smmu_invalidate(m.s, VMACCEL_SMMU_INVAL_ASID, 0, 3, 0, 0) == 0);
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x0, R, &r) == 0);
    CHECK(r.pa == 0x90000000);

    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1000, R, &r) == 0);
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x2000, R, &r) == 0);
    t.page(0x1000, 0x91000000);
    t.page(0x2000, 0x92000000);
    REQUIRE(vmaccel_smmu_invalidate(m.s, VMACCEL_SMMU_INVAL_RANGE, 0, 3, 0x1000, 0x1000) == 0);
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x1000, R, &r) == 0);
    CHECK(r.pa == 0x91000000);
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x2000, R, &r) == 0);
    CHECK(r.pa == 0x80002000);  // outside the range: still cached
    REQUIRE(vmaccel_smmu_invalidate(m.s, VMACCEL_SMMU_INVAL_ALL, 0, 0, 0, 0) == 0);
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x2000, R, &r) == 0);
    CHECK(r.pa == 0x92000000);
}

TEST_CASE("cached table walks last until a TLBI covers them", "[smmu][api][walkcache]")
{
    Model m;
    S1 t(m.g);
    t.page(0x200000, 0x80000000);
    t.page(0x201000, 0x80001000);
    vmaccel_smmu_domain d = s1_domain(t.root, 3);
    REQUIRE(vmaccel_smmu_attach(m.s, 1, &d) == 0);
    vmaccel_smmu_result r;
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x200000, R, &r) == 0);
    // The guest swaps the level-3 table under the 2M region without a TLBI:
    // the spec lets the SMMU keep using what it cached.
    t.new_l3(0x200000);
    t.page(0x201000, 0x90001000);
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x201000, R, &r) == 0);
    CHECK(r.pa == 0x80001000);
    REQUIRE(vmaccel_smmu_invalidate(m.s, VMACCEL_SMMU_INVAL_RANGE, 0, 3, 0x201000, 0x1000) == 0);
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x201000, R, &r) == 0);
    CHECK(r.pa == 0x90001000);
    // Another region swapped, then an ASID invalidation: walked afresh.
    t.page(0x400000, 0x80400000);
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x400000, R, &r) == 0);
    t.new_l3(0x400000);
    t.page(0x400000, 0x90400000);
    REQUIRE(vmaccel_smmu_invalidate(m.s, VMACCEL_SMMU_INVAL_ASID, 0, 3, 0, 0) == 0);
    REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, 0x400000, R, &r) == 0);
    CHECK(r.pa == 0x90400000);
}

TEST_CASE("detach drops the stream's IOTLB entries at once", "[smmu][api][iotlb]")
{
    Model m(256);
    S1 t(m.g);
    for (uint64_t p = 0; p < 32; p++)
        t.page(p << 12, 0x80000000 + (p << 12));
    vmaccel_smmu_domain d = s1_domain(t.root, 3);
    REQUIRE(vmaccel_smmu_attach(m.s, 1, &d) == 0);
    d.asid = 4;
    REQUIRE(vmaccel_smmu_attach(m.s, 2, &d) == 0);
    vmaccel_smmu_result r;
    for (uint64_t p = 0; p < 32; p++) {
        REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, p << 12, R, &r) == 0);
        REQUIRE(vmaccel_smmu_translate(m.s, 2, NOSS, p << 12, R, &r) == 0);
    }
    CHECK(stats(m.s, 1).iotlb_used == 32);
    REQUIRE(vmaccel_smmu_detach(m.s, 1) == 0);
    CHECK(stats(m.s, 1).iotlb_used == 0);
    CHECK(stats(m.s, 2).iotlb_used == 32);
    CHECK(vmaccel_smmu_detach(m.s, 1) == VMACCEL_ENOENT);
    CHECK(vmaccel_smmu_translate(m.s, 1, NOSS, 0, R, &r) == VMACCEL_EFAULT);
}

TEST_CASE("adaptive partitioning keeps a hot set cached beside a streaming device",
          "[smmu][api][iotlb]")
{
    // One hot device (48 pages reused) and one streaming device (4096 pages,
    // never reused within the IOTLB's reach), 1 : 3, through 128 entries.
    uint64_t hot_misses[2];
    for (int adaptive = 0; adaptive <= 1; adaptive++) {
        Model m(128);
        S1 hot(m.g), stream(m.g);
        for (uint64_t p = 0; p < 48; p++)
            hot.page(p << 12, 0x80000000 + (p << 12));
        for (uint64_t p = 0; p < 4096; p++)
            stream.page(p << 12, 0x90000000 + (p << 12));
        REQUIRE(vmaccel_smmu_set_partitioning(m.s, adaptive, 0) == 0);
        vmaccel_smmu_domain d = s1_domain(hot.root, 1);
        REQUIRE(vmaccel_smmu_attach(m.s, 1, &d) == 0);
        d = s1_domain(stream.root, 2);
        REQUIRE(vmaccel_smmu_attach(m.s, 2, &d) == 0);
        vmaccel_smmu_result r;
        for (uint64_t i = 0; i < 6000; i++) {
            REQUIRE(vmaccel_smmu_translate(m.s, 1, NOSS, (i % 48) << 12, R, &r) == 0);
            for (uint64_t k = 0; k < 3; k++)
                REQUIRE(vmaccel_smmu_translate(m.s, 2, NOSS, ((3 * i + k) % 4096) << 12,
                                               R, &r) == 0);
        }
        vmaccel_smmu_stream_stats st = stats(m.s, 1);
        hot_misses[adaptive] = st.misses;
        CHECK(st.iotlb_used <= 128);
        if (adaptive)
            CHECK(st.iotlb_quota >= 48);
    }
    INFO("hot device misses: global CLOCK " << hot_misses[0] << ", adaptive "
                                           << hot_misses[1]);
    CHECK(hot_misses[0] > 3000);              // the stream flushes the hot set
    CHECK(hot_misses[1] < hot_misses[0] / 10); // partitioned: mostly hits
}

TEST_CASE("hits on other threads while the IOTLB is invalidated stay correct", "[smmu][api][threads]")
{
    Model m(128);
    S1 t(m.g);
    for (uint64_t p = 0; p < 64; p++)
        t.page(p << 12, 0x80000000 + (p << 12));
    vmaccel_smmu_domain d = s1_domain(t.root, 3);
    REQUIRE(vmaccel_smmu_attach(m.s, 1, &d) == 0);
    std::atomic<bool> stop{false};
    std::atomic<int> wrong{0};
    auto worker = [&] {
        vmaccel_smmu_result r;
        for (uint64_t i = 0; !stop.load(); i++) {
            uint64_t va = (i % 64) << 12 | 0x10;
            if (vmaccel_smmu_translate(m.s, 1, NOSS, va, R, &r) != 0 ||
                r.pa != 0x80000000 + va)
                wrong++;
        }
    };
    std::thread a(worker), b(worker);
    for (int i = 0; i < 2000; i++)
        vmaccel_smmu_invalidate(m.s, i % 2 ? VMACCEL_SMMU_INVAL_ASID : VMACCEL_SMMU_INVAL_ALL,
                                0, 3, 0, 0);
    stop = true;
    a.join();
    b.join();
    CHECK(wrong.load() == 0);
}

// ---- register front end --------------------------------------------------

TEST_CASE("ID registers tell what is implemented", "[smmu][mmio]")
{
    Model m;
    uint32_t idr0 = m.rd(0x0), idr1 = m.rd(0x4), idr3 = m.rd(0xc), idr5 = m.rd(0x14);
    CHECK((idr0 & 3) == 3);               // S1P and S2P
    CHECK(((idr0 >> 2) & 3) == 2);        // TTF: AArch64 only
    CHECK(((idr0 >> 27) & 3) == 1);       // ST_LEVEL: 2-level stream table
    CHECK((idr0 >> 19) & 1);              // CD2L
    CHECK(((idr0 >> 10) & 1) == 1);       // ATS
    CHECK(((idr0 >> 11) & 1) == 1);       // NS1ATS: no split-stage ATS
    CHECK(((idr0 >> 16) & 1) == 1);       // PRI
    CHECK(((idr0 >> 6) & 3) == 2);        // HTTU: Access flag and dirty state
    CHECK(((idr0 >> 24) & 3) == 0);       // STALL_MODEL: stall and terminate
    CHECK(((idr0 >> 26) & 1) == 1);       // TERM_MODEL: abort only
    CHECK((idr1 & 0x3f) == 16);           // SIDSIZE
    CHECK(((idr1 >> 6) & 0x1f) == 20);    // SSIDSIZE
    CHECK(((idr1 >> 11) & 0x1f) == 12);   // PRIQS
    CHECK(((idr3 >> 5) & 1) == 1);        // PPS
    CHECK((idr5 >> 16) == 256);           // STALL_MAX
    CHECK((idr5 & 7) == 5);               // OAS 48 bits
    CHECK(((idr5 >> 4) & 7) == 7);        // 4K, 16K, 64K
    CHECK(((idr5 >> 10) & 3) == 0);       // no 52-bit VA
    uint64_t v;
    CHECK(vmaccel_smmu_mmio_read(m.s, 0x20, 8, &v) == VMACCEL_EINVAL);  // 32-bit reg
    CHECK(vmaccel_smmu_mmio_read(m.s, 0x22, 4, &v) == VMACCEL_EINVAL);  // unaligned
    CHECK(vmaccel_smmu_mmio_read(m.s, 0x20000, 4, &v) == VMACCEL_EINVAL);
    CHECK(m.rd(0x1000) == 0);             // reserved: RAZ
}

TEST_CASE("CR0ACK follows CR0, CMDQ_CONS is writable only while CMDQEN=0", "[smmu][mmio]")
{
    Model m;
    m.wr(0x20, 0x8);
    CHECK(m.rd(0x24) == 0x8);
    m.wr(0x9c, 5);
    CHECK(m.rd(0x9c) == 0);   // enabled: ignored
    m.wr(0x20, 0);
    m.wr(0x9c, 5);
    CHECK(m.rd(0x9c) == 5);
    m.wr(0x20, 0x1);
    m.wr(0x80, 0x12340000, 8); // STRTAB_BASE is fixed while SMMUEN=1
    uint64_t v;
    REQUIRE(vmaccel_smmu_mmio_read(m.s, 0x80, 8, &v) == 0);
    CHECK(v == 0);
}

TEST_CASE("CMD_SYNC completes through the callback, CS=0b11 is CERROR_ILL", "[smmu][cmdq]")
{
    Model m;
    setup_queues(m);
    push(m, 0x46, 0);                          // CMD_SYNC, CS=SIG_NONE
    CHECK(m.rd(0x9c) == 1);
    REQUIRE(m.g.syncs.size() == 1);
    CHECK(m.g.syncs[0] == 0);
    // SIG_IRQ with an MSI address: MSIData written there
    push(m, 0x46 | 1u << 12 | 0xcafef00dull << 32, BASE + 0x30000);
    CHECK(m.g.r32(BASE + 0x30000) == 0xcafef00d);
    push(m, 0x46 | 3u << 12, 0);               // CS=0b11: reserved
    uint32_t cons = m.rd(0x9c);
    CHECK((cons & 0xfffff) == 2);              // stopped at the bad command
    CHECK(((cons >> 24) & 0x7f) == 1);         // CERROR_ILL
    CHECK(((m.rd(0x60) ^ m.rd(0x64)) & 1) == 1); // GERROR.CMDQ_ERR active
    push(m, 0x46, 0);                          // not consumed while in error
    CHECK((m.rd(0x9c) & 0xfffff) == 2);
    m.g.w64(CQ + 2 * 16, 0x46);                // software fixes the command
    m.wr(0x64, m.rd(0x60));                    // and acknowledges
    CHECK((m.rd(0x9c) & 0xfffff) == 4);
    CHECK(m.g.syncs.size() == 4);
}

TEST_CASE("unknown and unimplemented commands are CERROR_ILL", "[smmu][cmdq]")
{
    {   // TLBI_NH_VA, TG=16K, TTL=0b01 without IDR5.DS (IHI 0070 4.4.1.1)
        Model m;
        setup_queues(m);
        push(m, 0x12, 2ull << 10 | 1ull << 8 | 0x10000);
        CHECK(((m.rd(0x9c) >> 24) & 0x7f) == 1);
    }
    for (uint64_t op : {0x00ull, 0x09ull, 0x18ull, 0x7full}) {
        Model m;
        setup_queues(m);
        push(m, op, 0);
        INFO("opcode " << op);
        CHECK(((m.rd(0x9c) >> 24) & 0x7f) == 1);
    }
    // CMD_ATC_INV with a Size beyond 52; CMD_PRI_RESP with Resp 0b11.
    for (auto c : {std::make_pair(0x40ull, 53ull), std::make_pair(0x41ull, 3ull << 12)}) {
        Model m;
        setup_queues(m);
        push(m, c.first, c.second);
        INFO("opcode " << c.first);
        CHECK(((m.rd(0x9c) >> 24) & 0x7f) == 1);
    }
}

TEST_CASE("guest tables: STE cached until CMD_CFGI_STE, TLB until CMD_TLBI", "[smmu][cmdq]")
{
    Model m;
    setup_queues(m);
    GuestStreams gs(m);
    S1 a(m.g), b(m.g);
    a.page(0x1000, 0x80000000);
    b.page(0x1000, 0x81000000);
    gs.s1(3, a.root, 1);
    m.wr(0x20, 0x1 | 0x4 | 0x8);
    vmaccel_smmu_result r;
    REQUIRE(vmaccel_smmu_translate(m.s, 3, NOSS, 0x1000, R, &r) == 0);
    CHECK(r.pa == 0x80000000);
    gs.s1(3, b.root, 2);               // new STE/CD in memory
    REQUIRE(vmaccel_smmu_translate(m.s, 3, NOSS, 0x1000, R, &r) == 0);
    CHECK(r.pa == 0x80000000);         // cached configuration and TLB
    push(m, 0x03 | 3ull << 32, 1);     // CMD_CFGI_STE SID 3
    push(m, 0x46, 0);
    REQUIRE(vmaccel_smmu_translate(m.s, 3, NOSS, 0x1000, R, &r) == 0);
    CHECK(r.pa == 0x81000000);         // new ASID 2: its own walk

    // TLBI_NH_VA with a range: TG=4K, NUM=1, SCALE=0 -> 2 pages
    for (uint64_t p = 1; p <= 3; p++)
        b.page(p << 12, 0x82000000 + (p << 12));
    for (uint64_t p = 1; p <= 3; p++)
        REQUIRE(vmaccel_smmu_translate(m.s, 3, NOSS, p << 12, R, &r) == 0);
    for (uint64_t p = 1; p <= 3; p++)
        b.page(p << 12, 0x83000000 + (p << 12));
    push(m, 0x12 | 1ull << 12 | 2ull << 48, 1ull << 10 | 0x1000);
    push(m, 0x46, 0);
    REQUIRE(vmaccel_smmu_translate(m.s, 3, NOSS, 0x1000, R, &r) == 0);
    CHECK(r.pa == 0x83001000);
    REQUIRE(vmaccel_smmu_translate(m.s, 3, NOSS, 0x2000, R, &r) == 0);
    CHECK(r.pa == 0x83002000);
    REQUIRE(vmaccel_smmu_translate(m.s, 3, NOSS, 0x3000, R, &r) == 0);
    CHECK(r.pa == 0x82003000);         // beyond (NUM+1) << SCALE pages
    push(m, 0x11 | 2ull << 48, 0);     // TLBI_NH_ASID 2
    REQUIRE(vmaccel_smmu_translate(m.s, 3, NOSS, 0x3000, R, &r) == 0);
    CHECK(r.pa == 0x83003000);
}

TEST_CASE("event records are written to the queue, overflow is flagged", "[smmu][evtq]")
{
    Model m;
    setup_queues(m, 1); // two entries
    GuestStreams gs(m);
    S1 a(m.g);
    gs.s1(2, a.root, 1);
    m.wr(0x50, 0x4);    // EVENTQ_IRQEN
    m.wr(0x20, 0x1 | 0x4 | 0x8);
    vmaccel_smmu_result r;
    CHECK(vmaccel_smmu_translate(m.s, 2, NOSS, 0x5008, W | PRIV, &r) == VMACCEL_EFAULT);
    CHECK(vmaccel_smmu_translate(m.s, 9, NOSS, 0, R, &r) == VMACCEL_EFAULT); // V=0
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_C_BAD_STE);
    CHECK(m.rd(0x100a8) == 2);
    // record 0: F_TRANSLATION, SID 2, PnU, write (RnW=0), InputAddr
    uint64_t e0 = m.g.r64(EQ), e1 = m.g.r64(EQ + 8), e2 = m.g.r64(EQ + 16);
    CHECK((e0 & 0xff) == 0x10);
    CHECK((e0 >> 32) == 2);
    CHECK(((e1 >> 33) & 1) == 1);
    CHECK(((e1 >> 35) & 1) == 0);
    CHECK(e2 == 0x5008);
    CHECK((m.g.r64(EQ + 32) & 0xff) == 0x04);
    CHECK(m.g.irqs.size() == 2);
    // full: the third event is lost and OVFLG differs from OVACKFLG
    CHECK(vmaccel_smmu_translate(m.s, 9, NOSS, 0, R, &r) == VMACCEL_EFAULT);
    CHECK(m.rd(0x100a8) == (2u | 1u << 31));
    m.wr(0x100ac, 2u | 1u << 31);      // consume both, acknowledge overflow
    CHECK(vmaccel_smmu_translate(m.s, 9, NOSS, 0, R, &r) == VMACCEL_EFAULT);
    CHECK(m.rd(0x100a8) == (3u | 1u << 31));
    CHECK((m.g.r64(EQ) & 0xff) == 0x04);
}

TEST_CASE("version-1 callers: the old domain and memory structs are read up to their end",
          "[smmu][api][abi]")
{
    Model m(0, false);
    S1 t(m.g);
    t.page(0x1000, 0x80000000, 1, false); // AF=0: HTTU would set it
    // Exactly the version-1 sizes on the heap: a read past them is an
    // ASan report, and the fields a version-2 caller adds read as off.
    vmaccel_smmu_memory full = VMACCEL_SMMU_MEMORY_INIT;
    full.version = 1;
    full.read = Guest::read;
    full.write = Guest::write;
    full.ctx = &m.g;
    std::vector<unsigned char> mem1(offsetof(vmaccel_smmu_memory, cas));
    std::memcpy(mem1.data(), &full, mem1.size());
    REQUIRE(vmaccel_smmu_set_memory(m.s, (const vmaccel_smmu_memory *)(void *)mem1.data()) == 0);
    vmaccel_smmu_domain d = s1_domain(t.root, 7);
    d.version = 1;
    d.s1_ha = true; // beyond a version-1 struct: must not be read
    std::vector<unsigned char> dom1(offsetof(vmaccel_smmu_domain, s1_ha));
    std::memcpy(dom1.data(), &d, dom1.size());
    REQUIRE(vmaccel_smmu_attach(m.s, 5, (const vmaccel_smmu_domain *)(void *)dom1.data()) == 0);
    vmaccel_smmu_result r;
    CHECK(vmaccel_smmu_translate(m.s, 5, NOSS, 0x1000, R, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_ACCESS); // HA off: an Access flag fault
    d.version = 3;
    CHECK(vmaccel_smmu_attach(m.s, 6, &d) == VMACCEL_EINVAL);
}

TEST_CASE("translate_many: a scatter-gather list in one call, stopping at a fault",
          "[smmu][api][batch]")
{
    Model m;
    S1 t(m.g);
    attach_linear(m, t, 80);
    std::vector<uint64_t> iovas;
    for (uint64_t p = 0; p < 70; p++)
        iovas.push_back(p << 12 | (p * 8 % 4096));
    std::vector<vmaccel_smmu_result> out(iovas.size());
    size_t done = 0;
    // Cold: every IOVA walks once (the slow path inside the call).
    REQUIRE(vmaccel_smmu_translate_many(m.s, 5, NOSS, iovas.data(), iovas.size(), R | W,
                                        out.data(), &done) == 0);
    CHECK(done == iovas.size());
    for (size_t i = 0; i < iovas.size(); i++)
        CHECK(out[i].pa == 0x80000000 + iovas[i]);
    CHECK(stats(m.s, 5).misses == 70);
    // Warm: all hits, exact counters.
    out.assign(out.size(), vmaccel_smmu_result{});
    REQUIRE(vmaccel_smmu_translate_many(m.s, 5, NOSS, iovas.data(), iovas.size(), R,
                                        out.data(), &done) == 0);
    for (size_t i = 0; i < iovas.size(); i++) {
        CHECK(out[i].pa == 0x80000000 + iovas[i]);
        CHECK(out[i].size == 4096);
    }
    CHECK(stats(m.s, 5).hits == 70);
    CHECK(stats(m.s, 5).misses == 70);
    // A fault in the middle: stops there, earlier entries filled.
    iovas[40] = 0x100000; // unmapped
    REQUIRE(vmaccel_smmu_translate_many(m.s, 5, NOSS, iovas.data(), iovas.size(), R,
                                        out.data(), &done) == VMACCEL_EFAULT);
    CHECK(done == 40);
    CHECK(out[40].fault.event == VMACCEL_SMMU_EVT_F_TRANSLATION);
    CHECK(out[39].pa == 0x80000000 + iovas[39]);
    // Arguments: an empty list is fine; NULLs and bad flags are errors.
    CHECK(vmaccel_smmu_translate_many(m.s, 5, NOSS, nullptr, 0, R, out.data(), &done) == 0);
    CHECK(done == 0);
    CHECK(vmaccel_smmu_translate_many(m.s, 5, NOSS, nullptr, 3, R, out.data(), &done) ==
          VMACCEL_EINVAL);
    CHECK(vmaccel_smmu_translate_many(m.s, 5, NOSS, iovas.data(), 3, R, out.data(), nullptr) ==
          VMACCEL_EINVAL);
    CHECK(vmaccel_smmu_translate_many(m.s, 5, NOSS, iovas.data(), 3, 64, out.data(), &done) ==
          VMACCEL_EINVAL);
    // An unattached stream: the slow path gives its fault (GBPA abort).
    CHECK(vmaccel_smmu_translate_many(m.s, 9, NOSS, iovas.data(), 3, R, out.data(), &done) ==
          VMACCEL_EFAULT);
    CHECK(done == 0);
}

TEST_CASE("translate_many stays coherent while the IOTLB is invalidated", "[smmu][api][batch][threads]")
{
    Model m;
    S1 t(m.g);
    attach_linear(m, t, 32);
    std::atomic<bool> stop{false};
    std::atomic<uint32_t> version{0}, failed{0};
    std::thread inval([&] { // no Catch assertions off the main thread
        for (uint32_t v = 1; !stop && v < 0xff; v++) {
            for (uint64_t p = 0; p < 32; p++)
                t.page(p << 12, 0x80000000 + ((uint64_t)v << 24) + (p << 12));
            if (vmaccel_smmu_invalidate(m.s, VMACCEL_SMMU_INVAL_ASID, 0, 7, 0, 0))
                failed++;
            version = v;
            std::this_thread::yield();
        }
    });
    uint64_t iovas[32];
    for (uint64_t p = 0; p < 32; p++)
        iovas[p] = p << 12;
    vmaccel_smmu_result out[32];
    unsigned calls = 0, stale = 0;
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    for (; std::chrono::steady_clock::now() < until && version < 0xfe; calls++) {
        uint32_t v = version;
        size_t done;
        REQUIRE(vmaccel_smmu_translate_many(m.s, 5, NOSS, iovas, 32, R, out, &done) == 0);
        for (uint64_t p = 0; p < 32; p++)
            if (((out[p].pa - 0x80000000) >> 24) < v || (out[p].pa & 0xfffff) != p << 12)
                stale++;
    }
    stop = true;
    inval.join();
    CHECK(failed == 0);
    CHECK(stale == 0);
    CHECK(calls > 10);
    CHECK(version > 1);
}
