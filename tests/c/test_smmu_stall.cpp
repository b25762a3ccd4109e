// The Stall fault model (IHI 0070 3.12.2, 4.7.1, 4.7.2, 7.2.1): a device's
// faulting DMA waits until the guest answers the STALL=1 event record, the
// SVA page-fault path.
#include "smmu_fixture.hpp"
#include "watchdog.hpp"

#include <thread>

using namespace smmu_test;
using namespace std::chrono_literals;

namespace {

const uint64_t CD_S = 1ull << 44, STE_S1STALLD = 1ull << (91 - 64);

// Queues, a stream table, and SID 1 (and 2) translating with CD.S = 1.
struct Stalling {
    Model m;
    GuestStreams gs{m};
    Tables t{m.g};
    explicit Stalling(unsigned evlog2 = 2) : m(0)
    {
        setup_queues(m, evlog2);
        t.page(0x1000, 0x80000000);
        gs.s1(1, t.root, 1, CD_S);
        gs.s1(2, t.root, 1, CD_S);
        m.wr(CR0, SMMUEN | EVENTQEN | CMDQEN);
    }
    int stall(uint32_t sid, uint64_t iova, uint32_t *id, vmaccel_smmu_result *r)
    {
        return vmaccel_smmu_translate_stallable(m.s, sid, NOSS, iova, W, r, id);
    }
    vmaccel_smmu_stall_end wait(uint32_t id, int ms = 0)
    {
        vmaccel_smmu_stall_end how = VMACCEL_SMMU_STALL_PENDING;
        int rc = vmaccel_smmu_stall_wait(m.s, id, ms, &how);
        if (rc == VMACCEL_ETIMEDOUT)
            return VMACCEL_SMMU_STALL_PENDING;
        REQUIRE(rc == 0);
        return how;
    }
    void resume(uint32_t sid, uint32_t stag, bool retry)
    {
        push(m, 0x44 | (retry ? 1ull << 12 : 0) | (uint64_t)sid << 32, stag);
    }
};

} // namespace

TEST_CASE("a stalled DMA waits for CMD_RESUME and succeeds on retry", "[smmu][stall]")
{
    Stalling s;
    vmaccel_smmu_result r;
    uint32_t id = 0;
    REQUIRE(s.stall(1, 0x5008, &id, &r) == VMACCEL_EAGAIN);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_TRANSLATION);
    CHECK(r.fault.recorded);
    Event e = event(s.m, 0);
    CHECK(e.type() == 0x10);
    CHECK(e.sid() == 1);
    CHECK(e.stall());                        // STALL = 1
    CHECK(e.d[2] == 0x5008);
    CHECK(s.wait(id) == VMACCEL_SMMU_STALL_PENDING);
    s.t.page(0x5000, 0x80005000);             // the guest resolves the fault
    s.resume(1, e.stag() ^ 0x100, true);      // a wrong STAG: no effect
    s.resume(2, e.stag(), true);              // another stream's: no effect
    CHECK(s.wait(id) == VMACCEL_SMMU_STALL_PENDING);
    s.resume(1, e.stag(), true);
    CHECK(s.wait(id) == VMACCEL_SMMU_STALL_RETRY);
    vmaccel_smmu_stall_end how;
    CHECK(vmaccel_smmu_stall_wait(s.m.s, id, 0, &how) == VMACCEL_ENOENT); // collected
    REQUIRE(s.stall(1, 0x5008, &id, &r) == 0);
    CHECK(r.pa == 0x80005008);
    CHECK((s.m.rd(CMDQ_CONS) >> 24) == 0);    // no command error
}

TEST_CASE("CMD_RESUME terminate, CMD_STALL_TERM and SMMUEN=0 abort stalls", "[smmu][stall]")
{
    Stalling s(3);
    vmaccel_smmu_result r;
    uint32_t a, b, c;
    REQUIRE(s.stall(1, 0x5000, &a, &r) == VMACCEL_EAGAIN);
    REQUIRE(s.stall(1, 0x6000, &b, &r) == VMACCEL_EAGAIN);
    REQUIRE(s.stall(2, 0x7000, &c, &r) == VMACCEL_EAGAIN);
    CHECK(event(s.m, 0).stag() != event(s.m, 1).stag());
    s.resume(1, event(s.m, 0).stag(), false);  // terminate (TERM_MODEL 1: abort)
    CHECK(s.wait(a) == VMACCEL_SMMU_STALL_ABORT);
    CHECK(s.wait(b) == VMACCEL_SMMU_STALL_PENDING);
    push(s.m, 0x45 | 1ull << 32, 0);           // CMD_STALL_TERM SID 1
    CHECK(s.wait(b) == VMACCEL_SMMU_STALL_ABORT);
    CHECK(s.wait(c) == VMACCEL_SMMU_STALL_PENDING);
    s.m.wr(CR0, EVENTQEN | CMDQEN);            // SMMUEN 1 -> 0
    CHECK(s.wait(c) == VMACCEL_SMMU_STALL_ABORT);
}

TEST_CASE("a stall whose record finds the event queue full retries when it has room",
          "[smmu][stall][evtq]")
{
    Stalling s(0);                             // a one-entry event queue
    vmaccel_smmu_result r;
    uint32_t a, b;
    REQUIRE(s.stall(1, 0x5000, &a, &r) == VMACCEL_EAGAIN);
    REQUIRE(s.stall(1, 0x6000, &b, &r) == VMACCEL_EAGAIN); // no room: not recorded
    CHECK(s.m.rd(EVENTQ_PROD) == 1);           // not an overflow: OVFLG clear
    s.resume(1, event(s.m, 0).stag() + 1, true); // b's STAG guess: not visible
    CHECK(s.wait(b) == VMACCEL_SMMU_STALL_PENDING);
    s.m.wr(EVENTQ_CONS, 1);                    // software consumed a's record
    CHECK(s.wait(b) == VMACCEL_SMMU_STALL_RETRY); // retried "as just arrived"
    REQUIRE(s.stall(1, 0x6000, &b, &r) == VMACCEL_EAGAIN);
    CHECK(s.m.rd(EVENTQ_PROD) == 0);           // recorded now (wrapped)
    CHECK(event(s.m, 0).d[2] == 0x6000);
    CHECK(s.wait(a) == VMACCEL_SMMU_STALL_PENDING);
}

TEST_CASE("a device that cannot stall is terminated, recorded with STALL=0", "[smmu][stall]")
{
    Stalling s;
    vmaccel_smmu_result r;
    CHECK(vmaccel_smmu_translate(s.m.s, 1, NOSS, 0x5000, R, &r) == VMACCEL_EFAULT);
    CHECK(event(s.m, 0).type() == 0x10);
    CHECK_FALSE(event(s.m, 0).stall());
    // CD.S with STE.S1STALLD is ILLEGAL: C_BAD_CD.
    s.gs.s1(3, s.t.root, 1, CD_S, STE_S1STALLD);
    uint32_t id;
    CHECK(s.stall(3, 0x1000, &id, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_C_BAD_CD);
    // Faults that never stall: F_WALK_EABT, configuration errors.
    CHECK(s.stall(9, 0x1000, &id, &r) == VMACCEL_EFAULT);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_C_BAD_STE);
}

TEST_CASE("all stall slots in use: the next fault terminates, the callback collects stalls",
          "[smmu][stall]")
{
    Stalling s(8);
    s.m.endpoints(true);
    vmaccel_smmu_result r;
    std::vector<uint32_t> ids(256);
    for (unsigned i = 0; i < 256; i++)
        REQUIRE(s.stall(1, 0x100000 + ((uint64_t)i << 12), &ids[i], &r) == VMACCEL_EAGAIN);
    uint32_t extra;
    CHECK(s.stall(1, 0x500000, &extra, &r) == VMACCEL_EFAULT); // terminated
    CHECK_FALSE(event(s.m, 256).stall());
    push(s.m, 0x45 | 1ull << 32, 0);           // CMD_STALL_TERM: all 256 end
    REQUIRE(s.m.g.stall_ends.size() == 256);
    CHECK(s.m.g.stall_ends[0].first == ids[0]);
    CHECK(s.m.g.stall_ends[0].second == VMACCEL_SMMU_STALL_ABORT);
    vmaccel_smmu_stall_end how;
    CHECK(vmaccel_smmu_stall_wait(s.m.s, ids[0], 0, &how) == VMACCEL_ENOENT);
    CHECK(s.stall(1, 0x500000, &extra, &r) == VMACCEL_EAGAIN); // slots free again
}

TEST_CASE("stage-2 faults stall with STE.S2S: host domain", "[smmu][stall][nested]")
{
    Model m;
    Tables s2(m.g);
    s2.s2page(0x80000000, 0xa0000000, 1);      // read-only at stage 2
    vmaccel_smmu_domain d;
    vmaccel_smmu_domain_init(&d);
    d.mode = VMACCEL_SMMU_MODE_S2;
    d.s2_ttb = s2.root;
    d.s2_t0sz = 25;
    d.s2_sl0 = 1;
    d.s2_stall = true;
    REQUIRE(vmaccel_smmu_attach(m.s, 4, &d) == 0);
    vmaccel_smmu_result r;
    uint32_t id;
    REQUIRE(vmaccel_smmu_translate_stallable(m.s, 4, NOSS, 0x80000000, W, &r, &id) ==
            VMACCEL_EAGAIN);
    CHECK(r.fault.event == VMACCEL_SMMU_EVT_F_PERMISSION);
    CHECK(r.fault.stage == 2);
    d.eats = 1;                                // full ATS with S2S is ILLEGAL
    CHECK(vmaccel_smmu_attach(m.s, 5, &d) == VMACCEL_EINVAL);
}

TEST_CASE("stall_wait blocks another thread until the guest resumes", "[smmu][stall][threads]")
{
    Watchdog dog("stall_wait", 60s);
    Stalling s;
    vmaccel_smmu_result r;
    uint32_t id;
    REQUIRE(s.stall(1, 0x5000, &id, &r) == VMACCEL_EAGAIN);
    uint32_t stag = event(s.m, 0).stag();
    vmaccel_smmu_stall_end how = VMACCEL_SMMU_STALL_PENDING;
    int rc = -1;
    std::thread waiter([&] { rc = vmaccel_smmu_stall_wait(s.m.s, id, -1, &how); });
    std::this_thread::sleep_for(20ms);
    s.resume(1, stag, true);
    waiter.join();
    CHECK(rc == 0);
    CHECK(how == VMACCEL_SMMU_STALL_RETRY);
    REQUIRE(s.stall(1, 0x6000, &id, &r) == VMACCEL_EAGAIN);
    auto t0 = std::chrono::steady_clock::now();
    CHECK(vmaccel_smmu_stall_wait(s.m.s, id, 30, &how) == VMACCEL_ETIMEDOUT);
    CHECK(std::chrono::steady_clock::now() - t0 >= 25ms);
}
