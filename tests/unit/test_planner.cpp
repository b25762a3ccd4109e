// Planner properties (vmaccel/affinity.h) on many synthetic topologies and
// random VM mixes. Loads are recounted here from the placement itself.
#include "planner_fixture.hpp"

#include <algorithm>
#include <set>

using namespace pf;

namespace {

const char *const kTopologies[] = {
    "numa:2 core:2 pu:2",
    "pack:2 numa:2 l3:2 core:2 pu:2",
    "pack:1 numa:4 core:3 pu:1",
    "pack:2 numa:1 l3:2 core:4 pu:2",
    "numa:3 l3:1 core:5 pu:1",
    "pack:2 numa:2 l3:1 core:4 pu:4",
    "pack:4 numa:4 l3:2 core:16 pu:2",
    "core:6 pu:2",
};

const vmaccel_strategy kStrategies[] = {
    VMACCEL_STRATEGY_LOCAL_FIRST, VMACCEL_STRATEGY_LOAD_BALANCED,
    VMACCEL_STRATEGY_BANDWIDTH_OPTIMIZED, VMACCEL_STRATEGY_ADAPTIVE};

std::vector<unsigned> random_sizes(Rng &r, unsigned pus, unsigned max_total)
{
    std::vector<unsigned> sizes;
    unsigned total = 0, cap = std::max(1u, pus / 2);
    unsigned nvms = 1 + r.next(6);
    for (unsigned i = 0; i < nvms && total < max_total; i++) {
        unsigned n = 1 + r.next(cap);
        n = std::min(n, max_total - total);
        sizes.push_back(n);
        total += n;
    }
    return sizes;
}

void compute(const Input &in, Plan &p)
{
    int rc = va_plan_compute(&in.in, &p.p);
    INFO(vmaccel_error_last());
    REQUIRE(rc == 0);
    REQUIRE(p.p.nvcpus > 0);
}

} // namespace

TEST_CASE("no PU holds two vCPUs while a usable PU is free, loads stay even",
          "[planner]")
{
    for (const char *syn : kTopologies) {
        Topo t(syn);
        Rng r(std::hash<std::string>{}(syn));
        for (int round = 0; round < 40; round++) {
            // Up to 2.5x overcommit.
            Input in(t, random_sizes(r, t.pus(), t.pus() * 5 / 2),
                     kStrategies[round % 4]);
            Plan p;
            compute(in, p);
            Loads l(t, p.p);
            unsigned lo = *std::min_element(l.pu.begin(), l.pu.end());
            unsigned hi = *std::max_element(l.pu.begin(), l.pu.end());
            INFO(syn << " round " << round << " PU loads " << lo << ".." << hi);
            CHECK(hi <= lo + 1);
            if (p.p.nvcpus <= t.pus())
                CHECK(hi <= 1);
        }
    }
}

TEST_CASE("reserved and disallowed PUs are never used", "[planner]")
{
    for (const char *syn : kTopologies) {
        Topo full(syn);
        unsigned npus = full.pus();
        Rng r(npus * 7919u);
        for (int round = 0; round < 20; round++) {
            // A random cpuset (allowed list) and a random reserved set.
            std::string allowed;
            std::set<unsigned> ok;
            for (unsigned c = 0; c < npus; c++)
                if (r.next(4) != 0 || (c == npus - 1 && ok.empty())) {
                    allowed += (allowed.empty() ? "" : ",") + std::to_string(c);
                    ok.insert(c);
                }
            Topo t(syn, allowed.c_str());
            Input in(t, random_sizes(r, npus, npus * 2), kStrategies[round % 4]);
            in.reserved.reset(new bool[npus]());
            unsigned usable = 0;
            for (unsigned p = 0; p < npus; p++) {
                bool allowed_p = ok.count(t.t->pus[p].os_index) > 0;
                in.reserved[p] = allowed_p && usable > 0 && r.next(5) == 0;
                usable += allowed_p && !in.reserved[p];
            }
            in.sync();
            Plan p;
            compute(in, p);
            for (size_t v = 0; v < p.p.nvcpus; v++) {
                unsigned pu = p.p.pu[v];
                INFO(syn << " allowed " << allowed << " vCPU " << v << " on PU " << pu);
                CHECK(ok.count(t.t->pus[pu].os_index) == 1);
                CHECK_FALSE(in.reserved[pu]);
            }
        }
    }
}

TEST_CASE("the same input gives the same placement", "[planner]")
{
    for (const char *syn : kTopologies) {
        Topo t(syn);
        Rng r(99);
        for (int round = 0; round < 10; round++) {
            Input in(t, random_sizes(r, t.pus(), t.pus() * 2), kStrategies[round % 4]);
            Plan a, b;
            compute(in, a);
            compute(in, b);
            REQUIRE(a.p.nvcpus == b.p.nvcpus);
            CHECK(std::equal(a.p.pu, a.p.pu + a.p.nvcpus, b.p.pu));
            CHECK(a.p.score == b.p.score);
        }
    }
}

TEST_CASE("LocalFirst keeps a VM in one node when it fits", "[planner]")
{
    // VM sizes are powers of two no larger than a node, the total at most
    // the host: largest-first then always fits every VM in one node.
    const char *const uniform[] = {"numa:2 core:2 pu:2", "pack:2 numa:2 l3:2 core:2 pu:2",
                                   "pack:4 numa:4 l3:2 core:16 pu:2",
                                   "pack:2 numa:1 l3:2 core:4 pu:2"};
    for (const char *syn : uniform) {
        Topo t(syn);
        unsigned per_node = t.pus() / t.nodes();
        Rng r(per_node);
        for (int round = 0; round < 30; round++) {
            std::vector<unsigned> sizes;
            unsigned total = 0;
            for (;;) {
                unsigned n = 1u << r.next(8);
                while (n > per_node)
                    n >>= 1;
                if (total + n > t.pus())
                    break;
                sizes.push_back(n);
                total += n;
            }
            Input in(t, sizes, VMACCEL_STRATEGY_LOCAL_FIRST);
            Plan p;
            compute(in, p);
            for (size_t vm = 0; vm < p.p.nvms; vm++) {
                std::set<unsigned> nodes;
                for (size_t v = p.p.first[vm]; v < p.p.first[vm + 1]; v++)
                    nodes.insert(t.t->pus[p.p.pu[v]].node);
                INFO(syn << " round " << round << " VM " << vm << " of "
                         << sizes[vm] << " vCPUs");
                CHECK(nodes.size() == 1);
            }
        }
    }
}

TEST_CASE("LocalFirst puts a VM on the node holding most of its memory",
          "[planner]")
{
    Topo t("pack:2 numa:2 l3:1 core:4 pu:2"); // 4 nodes x 8 PUs
    Input in(t, {6}, VMACCEL_STRATEGY_LOCAL_FIRST);
    in.mem = {{1u << 20, 0, 512u << 20, 1u << 20}};
    in.sync();
    Plan p;
    compute(in, p);
    for (size_t v = 0; v < 6; v++)
        CHECK(t.t->pus[p.p.pu[v]].node == 2);
    // SMT spread: six vCPUs on a node of four 2-thread cores use all four.
    std::set<unsigned> cores;
    for (size_t v = 0; v < 6; v++)
        cores.insert(t.t->pus[p.p.pu[v]].core);
    CHECK(cores.size() == 4);
}

TEST_CASE("LoadBalanced: node and core loads differ by at most one", "[planner]")
{
    const char *const uniform[] = {"numa:2 core:2 pu:2", "pack:2 numa:2 l3:2 core:2 pu:2",
                                   "pack:1 numa:4 core:3 pu:1", "numa:3 l3:1 core:5 pu:1",
                                   "pack:4 numa:4 l3:2 core:16 pu:2"};
    for (const char *syn : uniform) {
        Topo t(syn);
        Rng r(t.pus());
        for (int round = 0; round < 40; round++) {
            Input in(t, random_sizes(r, t.pus(), t.pus() * 2),
                     VMACCEL_STRATEGY_LOAD_BALANCED);
            Plan p;
            compute(in, p);
            Loads l(t, p.p);
            auto nodes = std::minmax_element(l.node.begin(), l.node.end());
            std::vector<unsigned> cores(l.core.begin(),
                                        l.core.begin() + t.t->count[VMACCEL_OBJ_CORE]);
            auto c = std::minmax_element(cores.begin(), cores.end());
            INFO(syn << " round " << round);
            CHECK(*nodes.second <= *nodes.first + 1);
            CHECK(*c.second <= *c.first + 1);
            // Each VM is spread round-robin: its per-node counts differ by
            // at most one too.
            for (size_t vm = 0; vm < p.p.nvms; vm++) {
                std::vector<unsigned> per(t.nodes());
                for (size_t v = p.p.first[vm]; v < p.p.first[vm + 1]; v++)
                    per[t.t->pus[p.p.pu[v]].node]++;
                auto m = std::minmax_element(per.begin(), per.end());
                CHECK(*m.second <= *m.first + 1);
            }
        }
    }
}

TEST_CASE("BandwidthOptimized follows the memory's split over nodes", "[planner]")
{
    Topo t("pack:4 numa:4 l3:2 core:16 pu:2"); // 16 nodes x 32 PUs
    std::vector<uint64_t> mem(16, 0);
    mem[1] = 3ull << 30; // 3/8
    mem[5] = 1ull << 30; // 1/8
    mem[9] = 4ull << 30; // 4/8
    Input in(t, {16, 8}, VMACCEL_STRATEGY_BANDWIDTH_OPTIMIZED);
    in.mem = {mem, {}};
    in.sync();
    Plan p;
    compute(in, p);
    std::vector<unsigned> per(16);
    for (size_t v = p.p.first[0]; v < p.p.first[1]; v++)
        per[t.t->pus[p.p.pu[v]].node]++;
    CHECK(per[1] == 6);
    CHECK(per[5] == 2);
    CHECK(per[9] == 8);
    // Memory unknown: in proportion to the usable PUs (16 equal nodes).
    std::vector<unsigned> other(16);
    for (size_t v = p.p.first[1]; v < p.p.first[2]; v++)
        other[t.t->pus[p.p.pu[v]].node]++;
    CHECK(*std::max_element(other.begin(), other.end()) == 1);
}

TEST_CASE("SMT: spread takes idle cores first, one-per-core never uses a sibling",
          "[planner]")
{
    Topo t("numa:1 core:4 pu:2");
    for (auto smt : {VMACCEL_SMT_SPREAD, VMACCEL_SMT_ONE_PER_CORE}) {
        Input in(t, {2, 2}, VMACCEL_STRATEGY_LOCAL_FIRST);
        in.in.smt = smt;
        Plan p;
        compute(in, p);
        std::set<unsigned> cores;
        for (size_t v = 0; v < 4; v++)
            cores.insert(t.t->pus[p.p.pu[v]].core);
        CHECK(cores.size() == 4);
    }
    // Eight vCPUs on four cores: spread still fits (siblings), one-per-core
    // overcommits the four first threads evenly.
    Input in(t, {8}, VMACCEL_STRATEGY_LOCAL_FIRST);
    in.in.smt = VMACCEL_SMT_ONE_PER_CORE;
    Plan p;
    compute(in, p);
    Loads l(t, p.p);
    for (unsigned pu = 0; pu < 8; pu++)
        CHECK(l.pu[pu] == (pu % 2 == 0 ? 2u : 0u));
    // Pack: a 2-vCPU VM shares one core.
    Input pk(t, {2}, VMACCEL_STRATEGY_LOCAL_FIRST);
    pk.in.smt = VMACCEL_SMT_PACK;
    Plan pp;
    compute(pk, pp);
    CHECK(t.t->pus[pp.p.pu[0]].core == t.t->pus[pp.p.pu[1]].core);
}

TEST_CASE("ADAPTIVE picks a strategy from the metrics", "[planner]")
{
    Topo t("numa:2 core:2 pu:1");
    uint64_t spread[2] = {1, 1}, home[2] = {9, 1};
    va_plan_vm v{};
    v.nvcpus = 2;
    v.strategy = VMACCEL_STRATEGY_ADAPTIVE;
    va_plan_input in{};
    in.topo = t.t;
    in.vms = &v;
    in.nvms = 1;
    CHECK(va_plan_resolve(&in, 0) == VMACCEL_STRATEGY_LOCAL_FIRST); // no metrics
    v.have_metrics = true;
    v.local_rate = 0.3;
    v.mem_per_node = spread;
    CHECK(va_plan_resolve(&in, 0) == VMACCEL_STRATEGY_BANDWIDTH_OPTIMIZED);
    v.mem_per_node = home;
    CHECK(va_plan_resolve(&in, 0) == VMACCEL_STRATEGY_LOCAL_FIRST);
    v.cpu_demand = 4.5; // 4 usable PUs
    CHECK(va_plan_resolve(&in, 0) == VMACCEL_STRATEGY_LOAD_BALANCED);
}

TEST_CASE("bad input is an error, not a crash", "[planner]")
{
    Topo t("numa:2 core:2 pu:1", "0");
    Plan p;
    CHECK(va_plan_compute(nullptr, &p.p) == VMACCEL_EINVAL);
    Input zero(t, {0}, VMACCEL_STRATEGY_LOCAL_FIRST);
    CHECK(va_plan_compute(&zero.in, &p.p) == VMACCEL_EINVAL);
    Input huge(t, {VA_PLAN_MAX_VCPUS + 1}, VMACCEL_STRATEGY_LOCAL_FIRST);
    CHECK(va_plan_compute(&huge.in, &p.p) == VMACCEL_EINVAL);
    Input bad(t, {1}, (vmaccel_strategy)7);
    CHECK(va_plan_compute(&bad.in, &p.p) == VMACCEL_EINVAL);
    Input none(t, {2}, VMACCEL_STRATEGY_LOCAL_FIRST);
    none.reserved.reset(new bool[4]{true, false, false, false}); // CPU 0 only allowed
    none.sync();
    CHECK(va_plan_compute(&none.in, &p.p) == VMACCEL_ENOENT);
    CHECK(std::string(vmaccel_error_last()).find("no usable CPU") != std::string::npos);
}

TEST_CASE("vCPUs already running elsewhere count as load", "[planner]")
{
    Topo t("numa:2 core:2 pu:1");
    Input in(t, {2}, VMACCEL_STRATEGY_LOCAL_FIRST);
    unsigned base[4] = {1, 1, 0, 0}; // node 0 busy with another VM
    in.in.base_load = base;
    Plan p;
    compute(in, p);
    CHECK(t.t->pus[p.p.pu[0]].node == 1);
    CHECK(t.t->pus[p.p.pu[1]].node == 1);
}

TEST_CASE("LocalFirst takes a node with idle cores over the tightest fit", "[planner]")
{
    // 4 nodes x 4 cores x 2 threads. The 6-vCPU VM takes node 0; the two
    // 4-vCPU VMs then fit node 1 together only by sharing SMT siblings,
    // while nodes 2 and 3 are idle: each gets its own node.
    Topo t("pack:2 numa:2 l3:1 core:4 pu:2");
    Input in(t, {4, 4, 6}, VMACCEL_STRATEGY_LOCAL_FIRST);
    Plan p;
    compute(in, p);
    Loads l(t, p.p);
    for (unsigned c = 0; c < t.t->count[VMACCEL_OBJ_CORE]; c++)
        CHECK(l.core[c] <= 1u + (c < 4 ? 1u : 0u)); // only the 6-vCPU VM's node
    std::set<unsigned> nodes;
    for (size_t vm = 0; vm < 3; vm++)
        nodes.insert(t.t->pus[p.p.pu[p.p.first[vm]]].node);
    CHECK(nodes.size() == 3);
}
