// The PRI queue (IHI 0070 chapter 8): page requests into the guest's queue,
// its own overflow rules, automatic PRG responses, CMD_PRI_RESP, and the
// PCIe page-fault path (ATS fails, PRI asks, the guest maps, ATS succeeds).
#include "atc_model.hpp"
#include "smmu_fixture.hpp"

using namespace smmu_test;

namespace {

const uint64_t EATS_FULL = 1ull << (92 - 64);
const unsigned LAST = VMACCEL_SMMU_PRI_LAST, STOP = VMACCEL_SMMU_PRI_STOP;

struct Pri {
    Model m;
    GuestStreams gs{m};
    Tables t{m.g};
    explicit Pri(unsigned log2 = 2)
    {
        setup_queues(m);
        m.endpoints();
        m.wr(PRIQ_BASE, PQ | log2, 8);
        m.wr(PRIQ_PROD, 0);
        m.wr(PRIQ_CONS, 0);
        m.wr(IRQ_CTRL, 2);                     // PRIQ_IRQEN
        gs.s1(1, t.root, 1, 0, EATS_FULL);
        m.wr(CR0, SMMUEN | PRIQEN | EVENTQEN | CMDQEN);
    }
    vmaccel_smmu_ppr_outcome ppr(uint32_t sid, uint32_t ssid, uint64_t addr,
                                 unsigned access, unsigned prgi, unsigned flags)
    {
        vmaccel_smmu_ppr_outcome o;
        REQUIRE(vmaccel_smmu_page_request(m.s, sid, ssid, addr, access, prgi, flags, &o) == 0);
        return o;
    }
    uint64_t rec(unsigned i, unsigned dw) { return m.g.r64(PQ + 16 * i + 8 * dw); }
    size_t priq_irqs()
    {
        size_t n = 0;
        for (int i : m.g.irqs)
            n += i == VMACCEL_SMMU_IRQ_PRIQ;
        return n;
    }
};

} // namespace

TEST_CASE("page requests become PRI queue records", "[smmu][pri]")
{
    Pri p;
    CHECK(p.ppr(1, NOSS, 0x12345678, R | W | X | PRIV, 5, 0) == VMACCEL_SMMU_PPR_QUEUED);
    CHECK(p.ppr(1, 0x777, 0x9000, R | X | PRIV, 5, LAST) == VMACCEL_SMMU_PPR_QUEUED);
    CHECK(p.m.rd(PRIQ_PROD) == 2);
    uint64_t r0 = p.rec(0, 0), r1 = p.rec(0, 1);
    CHECK((uint32_t)r0 == 1);                    // StreamID
    CHECK((r0 >> 63) == 0);                      // no SSV
    CHECK(((r0 >> 58) & 3) == 0);                // X and Priv 0 without a PASID
    CHECK(((r0 >> 60) & 3) == 3);                // R, W
    CHECK(((r0 >> 62) & 1) == 0);                // not Last
    CHECK(r1 == (0x12345000 | 5));               // page address, PRGIndex
    r0 = p.rec(1, 0);
    CHECK((r0 >> 63) == 1);                      // SSV
    CHECK(((r0 >> 32) & 0xfffff) == 0x777);
    CHECK(((r0 >> 58) & 0xf) == (1 | 2 | 4));    // Priv, X, R
    CHECK(((r0 >> 62) & 1) == 1);                // Last
    CHECK(p.priq_irqs() == 1);                   // on empty -> non-empty only
    // A Stop PASID marker: L=1, W=R=0, with its PASID; never answered.
    CHECK(p.ppr(1, 0x777, 0, R | W, 6, STOP) == VMACCEL_SMMU_PPR_QUEUED);
    CHECK(((p.rec(2, 0) >> 60) & 7) == 4);
    CHECK(p.m.g.prg.empty());
    vmaccel_smmu_ppr_outcome o;
    CHECK(vmaccel_smmu_page_request(p.m.s, 1, NOSS, 0, R, 6, STOP, &o) == VMACCEL_EINVAL);
    CHECK(vmaccel_smmu_page_request(p.m.s, 1, NOSS, 0, R, 512, 0, &o) == VMACCEL_EINVAL);
}

TEST_CASE("PRI queue overflow: discarded until acknowledged, Last answered with Success",
          "[smmu][pri]")
{
    Pri p(1);                                    // two entries
    p.m.wr(PRIQ_IRQ_CFG2, 1u << 31);             // LO: interrupt on Last only
    CHECK(p.ppr(1, NOSS, 0x1000, R, 1, 0) == VMACCEL_SMMU_PPR_QUEUED);
    CHECK(p.ppr(1, NOSS, 0x2000, R, 1, LAST) == VMACCEL_SMMU_PPR_QUEUED);
    CHECK(p.priq_irqs() == 1);
    CHECK(p.ppr(1, 9, 0x3000, R, 2, LAST) == VMACCEL_SMMU_PPR_OVERFLOW);
    CHECK(p.m.rd(PRIQ_PROD) == (2u | 1u << 31)); // OVFLG toggled
    REQUIRE(p.m.g.prg.size() == 1);
    CHECK(p.m.g.prg[0].code == VMACCEL_SMMU_PRG_SUCCESS);
    CHECK(p.m.g.prg[0].automatic);
    CHECK(p.m.g.prg[0].prg_index == 2);
    CHECK(p.m.g.prg[0].ssid == 9);               // IDR3.PPS: the PASID kept
    CHECK(p.priq_irqs() == 2);                   // LO: a discarded Last too
    CHECK(p.ppr(1, NOSS, 0x4000, R, 3, 0) == VMACCEL_SMMU_PPR_OVERFLOW);
    CHECK(p.m.g.prg.size() == 1);                // Last == 0: silent
    p.m.wr(PRIQ_CONS, 2);                        // space, but not acknowledged
    CHECK(p.ppr(1, NOSS, 0x5000, R, 4, LAST) == VMACCEL_SMMU_PPR_OVERFLOW);
    CHECK(p.m.g.prg.size() == 2);
    p.m.wr(PRIQ_CONS, 2u | 1u << 31);            // OVACKFLG = OVFLG
    CHECK(p.ppr(1, NOSS, 0x6000, R, 5, LAST) == VMACCEL_SMMU_PPR_QUEUED);
    CHECK(p.m.rd(PRIQ_PROD) == (3u | 1u << 31));
}

TEST_CASE("PRIQEN=0, SMMUEN=0 and a queue abort answer with Failure, no PASID",
          "[smmu][pri]")
{
    Pri p;
    p.m.wr(CR0, SMMUEN | EVENTQEN | CMDQEN);      // PRIQEN = 0
    CHECK(p.ppr(1, 4, 0x1000, R, 7, 0) == VMACCEL_SMMU_PPR_DISABLED);
    REQUIRE(p.m.g.prg.size() == 1);              // even for Last == 0
    CHECK(p.m.g.prg[0].code == VMACCEL_SMMU_PRG_FAILURE);
    CHECK(p.m.g.prg[0].ssid == NOSS);
    CHECK(p.ppr(1, 4, 0, R, 7, STOP) == VMACCEL_SMMU_PPR_DISABLED);
    CHECK(p.m.g.prg.size() == 1);                // Stop markers: no response
    p.m.wr(CR0, PRIQEN | EVENTQEN | CMDQEN);      // PRIQEN but SMMUEN = 0
    CHECK(p.ppr(1, NOSS, 0x1000, R, 8, LAST) == VMACCEL_SMMU_PPR_DISABLED);
    p.m.wr(PRIQ_BASE, 0x7000000000ull | 2, 8);   // ignored while PRIQEN = 1
    p.m.wr(CR0, EVENTQEN | CMDQEN);
    p.m.wr(PRIQ_BASE, 0x7000000000ull | 2, 8);   // outside guest memory
    p.m.wr(CR0, SMMUEN | PRIQEN | EVENTQEN | CMDQEN);
    CHECK(p.ppr(1, NOSS, 0x1000, R, 9, 0) == VMACCEL_SMMU_PPR_ABORT);
    CHECK(((p.m.rd(GERROR) ^ p.m.rd(GERRORN)) & (1u << 3)) != 0); // PRIQ_ABT_ERR
    CHECK(p.m.g.prg.back().code == VMACCEL_SMMU_PRG_FAILURE);
    CHECK(p.ppr(1, NOSS, 0x1000, R, 9, 0) == VMACCEL_SMMU_PPR_DISABLED);
}

TEST_CASE("CMD_PRI_RESP answers a page request group", "[smmu][pri]")
{
    Pri p;
    push(p.m, 0x41 | 1ull << 11 | 0x55ull << 12 | 1ull << 32, 0x1ab | 2ull << 12);
    push(p.m, 0x41 | 1ull << 32, 3 | 1ull << 12);
    push(p.m, 0x41 | 1ull << 32, 3 | 0ull << 12);
    REQUIRE(p.m.g.prg.size() == 3);
    CHECK(p.m.g.prg[0].sid == 1);
    CHECK(p.m.g.prg[0].ssid == 0x55);
    CHECK(p.m.g.prg[0].prg_index == 0x1ab);
    CHECK(p.m.g.prg[0].code == VMACCEL_SMMU_PRG_SUCCESS);
    CHECK_FALSE(p.m.g.prg[0].automatic);
    CHECK(p.m.g.prg[1].ssid == NOSS);
    CHECK(p.m.g.prg[1].code == VMACCEL_SMMU_PRG_INVALID_REQUEST);
    CHECK(p.m.g.prg[2].code == VMACCEL_SMMU_PRG_FAILURE);
    p.m.wr(CR0, EVENTQEN | CMDQEN);              // SMMUEN = 0: IGNORED
    push(p.m, 0x41 | 1ull << 32, 3 | 2ull << 12);
    CHECK(p.m.g.prg.size() == 3);
    CHECK((p.m.rd(CMDQ_CONS) >> 24) == 0);
}

TEST_CASE("the PCIe page-fault path: ATS denies, PRI asks, the guest maps and answers",
          "[smmu][pri][ats]")
{
    Pri p;
    AtcModel atc;
    vmaccel_smmu_endpoint_ops ops = VMACCEL_SMMU_ENDPOINT_OPS_INIT;
    ops.ctx = &p.m.g;
    ops.prg_response = Guest::prg_response;
    REQUIRE(vmaccel_smmu_set_endpoint_ops(p.m.s, &ops) == 0);
    // The device: an ATS Translation Request for a page not yet present.
    AtcModel::Entry e;
    CHECK_FALSE(atc.translate(p.m.s, 1, NOSS, 0x7000, R | W, &e));
    CHECK(p.ppr(1, NOSS, 0x7000, R | W, 12, LAST) == VMACCEL_SMMU_PPR_QUEUED);
    // The guest's PRI handler reads the record, maps the page, answers.
    uint64_t r0 = p.rec(0, 0), r1 = p.rec(0, 1);
    uint64_t page = r1 & ~0xfffull;
    p.t.page(page, 0x88000000);
    p.m.wr(PRIQ_CONS, 1);
    push(p.m, 0x41 | (r0 & 0xffffffffull) << 32, (r1 & 0x1ff) | 2ull << 12);
    REQUIRE(p.m.g.prg.size() == 1);
    CHECK(p.m.g.prg[0].code == VMACCEL_SMMU_PRG_SUCCESS);
    CHECK(p.m.g.prg[0].prg_index == 12);
    // The device retries ATS and now gets the page.
    REQUIRE(atc.translate(p.m.s, 1, NOSS, 0x7000, R | W, &e));
    CHECK(e.out == 0x88000000);
    CHECK(e.perm == (R | W));
}
