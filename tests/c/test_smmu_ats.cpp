// PCIe ATS (IHI 0070 3.9.1): Translation Requests and their completions,
// Translated transactions under CR0.ATSCHK and STE.EATS, and ATC
// invalidation (CMD_ATC_INV) completed by CMD_SYNC, with a host-side model
// of the endpoint's ATC.
#include "atc_model.hpp"
#include "smmu_fixture.hpp"

using namespace smmu_test;

namespace {

const uint64_t EATS_FULL = 1ull << (92 - 64), EATS_SPLIT = 2ull << (92 - 64);
const uint64_t CD_HA = 1ull << 43, CD_HD = 1ull << 42;

// SID 1: ATS on (EATS 0b01); SID 2: ATS off; SID 3: bypass; SID 4: abort;
// SID 5: split-stage ATS (ILLEGAL here); SID 6: a CD with A == 0.
struct Ats {
    Model m;
    GuestStreams gs{m};
    Tables t{m.g};
    uint64_t clean = 0;
    Ats()
    {
        setup_queues(m);
        t.page(0x1000, 0x80000000);                  // RW
        t.page(0x2000, 0x80001000, 3);               // read-only
        clean = t.page(0x3000, 0x80002000, 3, false, DBM); // clean and old
        t.page(0x4000, 0x80003000, 0);               // EL1 only
        gs.s1(1, t.root, 1, CD_HA | CD_HD, EATS_FULL);
        gs.s1(2, t.root, 1);
        gs.plain(3, 4, EATS_FULL);
        gs.plain(4, 0, EATS_FULL);
        gs.s1(5, t.root, 1, 0, EATS_SPLIT);
        gs.s1(6, t.root, 1, 0, EATS_FULL);
        uint64_t cd6 = m.g.r64(gs.strtab + 64 * 6) & ~0x3full; // S1ContextPtr
        m.g.w64(cd6, m.g.r64(cd6) & ~(1ull << 46));              // CD.A = 0
        m.wr(CR0, SMMUEN | EVENTQEN | CMDQEN);
    }
    vmaccel_smmu_ats_result tr(uint32_t sid, uint64_t iova, unsigned access,
                               uint32_t ssid = NOSS)
    {
        vmaccel_smmu_ats_result r;
        REQUIRE(vmaccel_smmu_ats_translate(m.s, sid, ssid, iova, access, &r) == 0);
        return r;
    }
    unsigned events() { return m.rd(EVENTQ_PROD) & 0xff; }
};

} // namespace

TEST_CASE("ATS Translation Requests: permissions granted, faults as R=W=0, no events",
          "[smmu][ats]")
{
    Ats a;
    vmaccel_smmu_ats_result r = a.tr(1, 0x1234, R | W);
    CHECK(r.status == VMACCEL_SMMU_ATS_SUCCESS);
    CHECK(r.addr == 0x80000000);
    CHECK(r.size == 4096);
    CHECK(r.perm == (R | W));
    r = a.tr(1, 0x2000, R | W);                     // write asked, read granted
    CHECK(r.status == VMACCEL_SMMU_ATS_SUCCESS);
    CHECK(r.perm == R);
    r = a.tr(1, 0x4000, R);                         // EL1-only page, unprivileged
    CHECK(r.perm == 0);
    r = a.tr(1, 0x4000, R | PRIV);                  // Priv without a PASID: ignored
    CHECK(r.perm == 0);
    r = a.tr(1, 0x9000, R);                         // translation fault
    CHECK(r.status == VMACCEL_SMMU_ATS_SUCCESS);
    CHECK(r.perm == 0);
    CHECK(r.size == 4096);
    CHECK(a.events() == 0);                         // ATS failures record nothing
    r = a.tr(6, 0x1000, R);                         // C_BAD_CD: Completer Abort
    CHECK(r.status == VMACCEL_SMMU_ATS_CA);
    r = a.tr(5, 0x1000, R);                         // EATS 0b10, NS1ATS: C_BAD_STE
    CHECK(r.status == VMACCEL_SMMU_ATS_CA);
    CHECK(a.events() == 0);
}

TEST_CASE("ATS off, bypass, abort and SMMUEN=0: Unsupported Request and F_BAD_ATS_TREQ",
          "[smmu][ats]")
{
    Ats a;
    CHECK(a.tr(2, 0x1000, R | W).status == VMACCEL_SMMU_ATS_UR);   // EATS 0
    CHECK(a.tr(3, 0x1000, R).status == VMACCEL_SMMU_ATS_UR);       // bypass: EATS 0
    CHECK(a.events() == 2);
    CHECK(a.tr(4, 0x1000, R).status == VMACCEL_SMMU_ATS_UR);       // abort: silent
    CHECK(a.events() == 2);
    Event e = event(a.m, 0);
    CHECK(e.type() == VMACCEL_SMMU_EVT_F_BAD_ATS_TREQ);
    CHECK(e.sid() == 2);
    CHECK((e.d[1] & 0xf) == 1);                     // Span: one STU
    CHECK(((e.d[1] >> 31) & 1) == 1);               // R
    CHECK(((e.d[1] >> 30) & 1) == 1);               // W (NW == 0)
    CHECK(e.d[2] == 0x1000);
    a.m.wr(CR0, EVENTQEN | CMDQEN);                  // SMMUEN = 0
    CHECK(a.tr(1, 0x1000, R).status == VMACCEL_SMMU_ATS_UR);
    CHECK(a.events() == 3);
}

TEST_CASE("ATS Translation Requests update AF, and mark a page dirty when asking to write",
          "[smmu][ats][httu]")
{
    Ats a;
    vmaccel_smmu_ats_result r = a.tr(1, 0x3000, R);
    CHECK(r.perm == R);                              // clean: no write for a read
    CHECK((a.m.g.r64(a.clean) & (AF | AP2)) == (AF | AP2));
    r = a.tr(1, 0x3000, R | W);
    CHECK(r.perm == (R | W));                        // made dirty, write granted
    CHECK((a.m.g.r64(a.clean) & (AF | AP2)) == AF);
}

TEST_CASE("Translated transactions: ATSCHK=0 passes, ATSCHK=1 follows STE.EATS",
          "[smmu][ats]")
{
    Ats a;
    CHECK(vmaccel_smmu_ats_translated(a.m.s, 2, 0x80000000, W) == 0); // fast mode
    CHECK(vmaccel_smmu_ats_translated(a.m.s, 2, 1ull << 48, W) == VMACCEL_EFAULT); // OAS
    a.m.wr(CR0, SMMUEN | EVENTQEN | CMDQEN | ATSCHK);
    CHECK(vmaccel_smmu_ats_translated(a.m.s, 1, 0x80000000, W) == 0);
    CHECK(vmaccel_smmu_ats_translated(a.m.s, 2, 0x80000000, W) == VMACCEL_EFAULT);
    CHECK(vmaccel_smmu_ats_translated(a.m.s, 3, 0x80000000, R) == VMACCEL_EFAULT);
    CHECK(a.events() == 2);
    Event e = event(a.m, 0);
    CHECK(e.type() == VMACCEL_SMMU_EVT_F_TRANSL_FORBIDDEN);
    CHECK(e.sid() == 2);
    CHECK(((e.d[1] >> 35) & 1) == 0);                // RnW: a write
    CHECK(e.d[2] == 0x80000000);
    CHECK(vmaccel_smmu_ats_translated(a.m.s, 4, 0x80000000, R) == VMACCEL_EFAULT);
    CHECK(vmaccel_smmu_ats_translated(a.m.s, 9, 0x80000000, R) == VMACCEL_EFAULT);
    CHECK(a.events() == 2);                          // abort and C_BAD_STE: silent
    a.m.wr(CR0, EVENTQEN | CMDQEN | ATSCHK);          // SMMUEN = 0
    CHECK(vmaccel_smmu_ats_translated(a.m.s, 1, 0x80000000, R) == VMACCEL_EFAULT);
    CHECK(event(a.m, 2).type() == VMACCEL_SMMU_EVT_F_TRANSL_FORBIDDEN);
}

TEST_CASE("CMD_ATC_INV reaches the endpoint's ATC, CMD_SYNC completes after it",
          "[smmu][ats][atc]")
{
    Ats a;
    AtcModel atc;
    vmaccel_smmu_endpoint_ops ops = VMACCEL_SMMU_ENDPOINT_OPS_INIT;
    ops.ctx = &atc;
    ops.atc_inv = AtcModel::on_inv;
    REQUIRE(vmaccel_smmu_set_endpoint_ops(a.m.s, &ops) == 0);
    AtcModel::Entry e;
    bool asked;
    REQUIRE(atc.translate(a.m.s, 1, NOSS, 0x1000, R | W, &e, &asked));
    CHECK(asked);
    REQUIRE(atc.translate(a.m.s, 1, NOSS, 0x1008, R, &e, &asked));
    CHECK_FALSE(asked);                              // served from the ATC
    CHECK(e.out == 0x80000000);
    a.t.page(0x1000, 0x90000000);                    // the guest remaps
    push(a.m, 0x12 | 1ull << 48, 0x1000);            // TLBI_NH_VA ASID 1
    push(a.m, 0x46, 0);
    push(a.m, 0x40 | 1ull << 32, 0x1000 | 1);        // ATC_INV SID 1, 8K (Size 1)
    push(a.m, 0x46, 0);
    REQUIRE(atc.received.size() == 1);
    CHECK(atc.received[0].sid == 1);
    CHECK(atc.received[0].ssid == NOSS);
    CHECK(atc.received[0].addr == 0);                // aligned to the span
    CHECK(atc.received[0].log2size == 13);
    CHECK_FALSE(atc.received[0].global);
    CHECK(a.m.g.syncs.size() == 2);
    REQUIRE(atc.translate(a.m.s, 1, NOSS, 0x1008, R, &e, &asked));
    CHECK(asked);
    CHECK(e.out == 0x90000000);                      // the new mapping
    // Global with a PASID, Size 52: everything.
    push(a.m, 0x40 | 1ull << 9 | 1ull << 11 | 7ull << 12 | 1ull << 32, 52);
    CHECK(atc.received.back().ssid == 7);
    CHECK(atc.received.back().global);
    CHECK(atc.received.back().log2size == 64);
    CHECK(atc.size() == 1);                          // no PASID entries: kept
}

TEST_CASE("CMD_SYNC waits for deferred ATC invalidations, a failed one is CERROR_ATC_INV_SYNC",
          "[smmu][ats][atc]")
{
    Ats a;
    AtcModel atc;
    atc.deferred = true;
    vmaccel_smmu_endpoint_ops ops = VMACCEL_SMMU_ENDPOINT_OPS_INIT;
    ops.ctx = &atc;
    ops.atc_inv = AtcModel::on_inv;
    REQUIRE(vmaccel_smmu_set_endpoint_ops(a.m.s, &ops) == 0);
    push(a.m, 0x40 | 1ull << 32, 0x1000);
    push(a.m, 0x46, 0);                              // waits
    push(a.m, 0x46, 0);                              // behind it
    CHECK((a.m.rd(CMDQ_CONS) & 0xfffff) == 1);       // stopped at the CMD_SYNC
    CHECK((a.m.rd(CMDQ_CONS) >> 24) == 0);           // without an error
    CHECK(a.m.g.syncs.empty());
    CHECK(vmaccel_smmu_atc_inv_done(a.m.s, 999, 0) == VMACCEL_ENOENT);
    atc.complete_all(a.m.s);
    CHECK((a.m.rd(CMDQ_CONS) & 0xfffff) == 3);       // both syncs completed
    CHECK(a.m.g.syncs.size() == 2);
    // A failed invalidation: the CMD_SYNC after it is CERROR_ATC_INV_SYNC.
    atc.fail = true;
    push(a.m, 0x40 | 1ull << 32, 0x2000);
    push(a.m, 0x46, 0);
    atc.complete_all(a.m.s);
    CHECK((a.m.rd(CMDQ_CONS) & 0xfffff) == 4);
    CHECK(((a.m.rd(CMDQ_CONS) >> 24) & 0x7f) == 3);  // CERROR_ATC_INV_SYNC
    CHECK(((a.m.rd(GERROR) ^ a.m.rd(GERRORN)) & 1) == 1);
    // The endpoints going away fails what they owed.
    a.m.wr(GERRORN, a.m.rd(GERROR));                  // acknowledged: resumes
    atc.fail = false;
    CHECK(a.m.g.syncs.size() == 3);                  // the sync ran again, passed
    push(a.m, 0x40 | 1ull << 32, 0x3000);
    push(a.m, 0x46, 0);
    REQUIRE(vmaccel_smmu_set_endpoint_ops(a.m.s, nullptr) == 0);
    CHECK(((a.m.rd(CMDQ_CONS) >> 24) & 0x7f) == 3);
}

TEST_CASE("CMD_ATC_INV is ignored with SMMUEN=0 or without endpoints", "[smmu][ats][atc]")
{
    Ats a;
    push(a.m, 0x40 | 1ull << 32, 0x1000);            // no endpoint ops: completes
    push(a.m, 0x46, 0);
    CHECK(a.m.g.syncs.size() == 1);
    a.m.endpoints();
    a.m.g.atc_answer = VMACCEL_EAGAIN;                // would wait forever...
    a.m.wr(CR0, EVENTQEN | CMDQEN);                   // ...but SMMUEN = 0
    push(a.m, 0x40 | 1ull << 32, 0x1000);
    push(a.m, 0x46, 0);
    CHECK(a.m.g.atc_invs.empty());
    CHECK(a.m.g.syncs.size() == 2);
}
