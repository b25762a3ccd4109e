// The host-wide rebalance decision on models of whole hosts: competing
// VMs, full nodes, exchanges, wide VMs and NUMA clients, constraints, the
// migration budget, and thousands of VMs.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" {
#include "numa/decide.h"
}

namespace {

const uint64_t MiB = 1ull << 20;

struct ClientSpec {
    std::vector<unsigned> vcpus;   // movable vCPUs per node
    std::vector<uint64_t> bytes;   // memory per node
    std::vector<unsigned> fixed;   // fixed vCPUs per node (may be empty)
    uint64_t cpu_nodes = UINT64_MAX, mem_nodes = UINT64_MAX;
};

struct VmSpec {
    std::vector<ClientSpec> clients;
    bool wants = true, busy = false, may_move = true, may_migrate = true,
         prefer_move = false;
};

// A host of `nodes` nodes with `pus` PUs and `free_mib` free each.
struct Host {
    unsigned nodes, pus;
    uint64_t free_mib;
    std::vector<VmSpec> vms;
    va_host_model m{};
    va_decide_config cfg;
    va_decision_set d{};

    Host(unsigned n, unsigned p, uint64_t free = 4096) : nodes(n), pus(p), free_mib(free)
    {
        va_decide_config_defaults(&cfg);
    }
    ~Host()
    {
        va_decision_release(&d);
        va_model_release(&m);
    }
    // A one-client VM: all its vCPUs on `cpu_node`, its memory on `mem_node`.
    void simple(unsigned vcpus, unsigned cpu_node, uint64_t mib, unsigned mem_node)
    {
        ClientSpec c;
        c.vcpus.assign(nodes, 0);
        c.bytes.assign(nodes, 0);
        c.vcpus[cpu_node] = vcpus;
        c.bytes[mem_node] = mib * MiB;
        vms.push_back(VmSpec{{c}});
    }
    void build()
    {
        size_t nclients = 0;
        for (auto &v : vms)
            nclients += v.clients.size();
        REQUIRE(va_model_init(&m, nodes, vms.size(), nclients) == 0);
        for (unsigned n = 0; n < nodes; n++) {
            m.node[n].pus = pus;
            m.node[n].free_bytes = free_mib * MiB;
            m.node[n].reserve_bytes = 64 * MiB;
        }
        size_t c = 0;
        for (size_t i = 0; i < vms.size(); i++) {
            auto &vs = vms[i];
            m.vms[i] = va_model_vm{1000 + i, (unsigned)c, (unsigned)vs.clients.size(),
                                   vs.wants, vs.busy, vs.may_move, vs.may_migrate,
                                   vs.prefer_move, 0.0};
            for (auto &cs : vs.clients) {
                va_model_client &cl = m.clients[c];
                cl.vm = (unsigned)i;
                cl.cpu_nodes = cs.cpu_nodes;
                cl.mem_nodes = cs.mem_nodes;
                for (unsigned n = 0; n < nodes; n++) {
                    unsigned f = cs.fixed.empty() ? 0 : cs.fixed[n];
                    va_model_vcpus(&m, c)[n] = cs.vcpus[n];
                    va_model_fixed(&m, c)[n] = f;
                    va_model_bytes(&m, c)[n] = cs.bytes[n];
                    cl.vcpus += cs.vcpus[n];
                    cl.fixed += f;
                    cl.bytes += cs.bytes[n];
                    m.node[n].vcpus += cs.vcpus[n] + f;
                }
                cl.weight = cl.vcpus + cl.fixed;
                c++;
            }
        }
    }
    va_decision_set &decide()
    {
        build();
        REQUIRE(va_decide(&cfg, &m, &d) == 0);
        check_capacity();
        return d;
    }
    const va_action *action_of(size_t client) const
    {
        for (size_t i = 0; i < d.nactions; i++)
            if (d.actions[i].client == client)
                return &d.actions[i];
        return nullptr;
    }
    std::string no_fix_of(unsigned vm) const
    {
        for (size_t i = 0; i < d.nno_fix; i++)
            if (d.no_fix[i].vm == vm)
                return d.no_fix[i].why;
        return "";
    }
    // No node ends with more vCPUs than it has PUs (unless it had them
    // before) or more migrated memory than its free memory above reserve.
    void check_capacity() const
    {
        // int64_t, not long: byte counts overflow Windows' 32-bit long.
        std::vector<int64_t> vcpus(nodes), mem_in(nodes);
        for (unsigned n = 0; n < nodes; n++)
            vcpus[n] = m.node[n].vcpus;
        for (size_t i = 0; i < d.nactions; i++) {
            const va_action &a = d.actions[i];
            if (a.kind == VA_ACT_MOVE_VCPUS) {
                const unsigned *after = d.vcpus_after + i * nodes;
                for (unsigned n = 0; n < nodes; n++)
                    vcpus[n] += (int64_t)after[n] - (int64_t)va_model_vcpus(&m, a.client)[n];
            } else {
                mem_in[a.target] += (int64_t)a.bytes;
            }
        }
        for (unsigned n = 0; n < nodes; n++) {
            INFO("node " << n);
            CHECK(vcpus[n] <= std::max<int64_t>(pus, m.node[n].vcpus));
            CHECK(mem_in[n] <= (int64_t)(m.node[n].free_bytes - m.node[n].reserve_bytes));
        }
    }
};

} // namespace

TEST_CASE("decide: one misplaced VM gets its vCPUs moved to its memory", "[numa][decide]")
{
    Host h(2, 4);
    h.simple(2, 0, 320, 1);
    auto &d = h.decide();
    REQUIRE(d.nactions == 1);
    CHECK(d.actions[0].kind == VA_ACT_MOVE_VCPUS);
    CHECK(d.actions[0].target == 1);
    CHECK(d.actions[0].moved == 2);
    CHECK(d.actions[0].rate_before == Approx(0.0));
    CHECK(d.actions[0].rate_after == Approx(1.0));
    CHECK(d.rate_after == Approx(1.0));
}

TEST_CASE("decide: two VMs competing for one node never claim the same PUs",
          "[numa][decide]")
{
    // The case: 2 PUs per node, both VMs' vCPUs on node 0 and their
    // memory on node 1. One moves there; node 1 is then full, so the other
    // migrates its memory to node 0.
    Host h(2, 2);
    h.simple(2, 0, 320, 1);
    h.simple(2, 0, 320, 1);
    auto &d = h.decide();
    REQUIRE(d.nactions == 2);
    int moves = 0, migrations = 0;
    for (size_t i = 0; i < d.nactions; i++) {
        const va_action &a = d.actions[i];
        CHECK(a.rate_after == Approx(1.0));
        if (a.kind == VA_ACT_MOVE_VCPUS) {
            moves++;
            CHECK(a.target == 1);
        } else {
            migrations++;
            CHECK(a.target == 0);
            CHECK(a.bytes == 320 * MiB);
        }
    }
    CHECK(moves == 1);
    CHECK(migrations == 1);
    CHECK(d.rate_after == Approx(1.0));
}

TEST_CASE("decide: a full node is fixed by an exchange", "[numa][decide]")
{
    // Each VM sits on the other's memory node; both nodes are full. Swapping
    // them costs two vCPU moves each instead of migrating 2 x 1 GiB.
    Host h(2, 2);
    h.simple(2, 0, 1024, 1);
    h.simple(2, 1, 1024, 0);
    auto &d = h.decide();
    REQUIRE(d.nactions == 2);
    for (size_t i = 0; i < 2; i++) {
        CHECK(d.actions[i].kind == VA_ACT_MOVE_VCPUS);
        CHECK(d.actions[i].partner == 1 - i);
        CHECK(d.actions[i].rate_after == Approx(1.0));
    }
    CHECK(h.action_of(0)->target == 1);
    CHECK(h.action_of(1)->target == 0);
}

TEST_CASE("decide: an exchange never makes the partner worse", "[numa][decide]")
{
    // VM 1 is well placed on node 1: swapping with it would cost it all its
    // locality, so VM 0 migrates its memory instead.
    Host h(2, 2);
    h.simple(2, 0, 512, 1);
    h.simple(2, 1, 512, 1);
    h.vms[1].wants = false;
    auto &d = h.decide();
    REQUIRE(d.nactions == 1);
    CHECK(d.actions[0].client == 0);
    CHECK(d.actions[0].kind == VA_ACT_MIGRATE);
    CHECK(d.actions[0].target == 0);
}

TEST_CASE("decide: a partner that needs a fix itself is not swapped for nothing",
          "[numa][decide]")
{
    // B (on node 1, its memory on node 2) wants a fix too: taking A's place
    // on node 0 would leave it at 0%, so A migrates instead of swapping.
    Host h(3, 2);
    h.simple(2, 0, 512, 1);
    h.simple(2, 1, 512, 2);
    h.simple(2, 2, 512, 2);
    h.vms[2].wants = false;
    auto &d = h.decide();
    const va_action *a = h.action_of(0);
    REQUIRE(a);
    CHECK(a->kind == VA_ACT_MIGRATE);
    CHECK(a->partner == VA_NO_PARTNER);
    const va_action *b = h.action_of(1);
    if (b)
        CHECK(b->rate_after > b->rate_before);
    (void)d;
}

TEST_CASE("decide: a full host gives no fix, with the reason", "[numa][decide]")
{
    // Node 1 has no PU free and no memory above its reserve: nothing fits.
    Host h(2, 2, 64);
    h.simple(2, 0, 512, 1);
    h.simple(2, 1, 512, 1);
    h.vms[1].wants = false;
    auto &d = h.decide();
    CHECK(d.nactions == 0);
    REQUIRE(d.nno_fix == 1);
    CHECK(d.no_fix[0].vm == 0);
    CHECK(std::string(d.no_fix[0].why).find("node 0 has 0 MiB free") != std::string::npos);
}

TEST_CASE("decide: a VM wider than a node spreads with its memory", "[numa][decide]")
{
    SECTION("one client: vCPUs go where most of the memory is, as room allows")
    {
        // 4 vCPUs on node 0 (2 PUs each node): 3/4 of the memory on node 1.
        Host h(2, 2);
        ClientSpec c{{4, 0}, {256 * MiB, 768 * MiB}};
        h.vms.push_back(VmSpec{{c}, true, false, true, false});
        auto &d = h.decide();
        REQUIRE(d.nactions == 1);
        const va_action &a = d.actions[0];
        CHECK(a.kind == VA_ACT_MOVE_VCPUS);
        CHECK(a.moved == 2);
        CHECK(d.vcpus_after[0] == 2);
        CHECK(d.vcpus_after[1] == 2);
        CHECK(a.rate_before == Approx(0.25));
        CHECK(a.rate_after == Approx(0.5)); // the best a uniform wide VM can do
    }
    SECTION("two NUMA clients end on distinct nodes next to their memory")
    {
        // Guest nodes 0 and 1, 2 vCPUs each, all on host node 0, all memory
        // on host node 1: one client moves to node 1, the other keeps node 0
        // and takes its memory there.
        Host h(2, 2);
        ClientSpec c0{{2, 0}, {0, 512 * MiB}}, c1{{2, 0}, {0, 512 * MiB}};
        h.vms.push_back(VmSpec{{c0, c1}});
        auto &d = h.decide();
        REQUIRE(d.nactions == 2);
        const va_action *a0 = h.action_of(0), *a1 = h.action_of(1);
        REQUIRE(a0);
        REQUIRE(a1);
        CHECK(a0->kind != a1->kind);
        CHECK(a0->rate_after == Approx(1.0));
        CHECK(a1->rate_after == Approx(1.0));
        CHECK(d.rate_after == Approx(1.0));
    }
}

TEST_CASE("decide: constraints are never crossed", "[numa][decide]")
{
    SECTION("cpuset.mems forbids the vCPUs' node, the cpuset the memory's")
    {
        Host h(2, 4);
        h.simple(2, 0, 512, 1);
        h.vms[0].clients[0].mem_nodes = 1ull << 1; // memory only on node 1
        h.vms[0].clients[0].cpu_nodes = 1ull << 0; // vCPUs only on node 0
        auto &d = h.decide();
        CHECK(d.nactions == 0);
        REQUIRE(d.nno_fix == 1);
        CHECK(std::string(d.no_fix[0].why).find("cpuset keeps its vCPUs off node 1") !=
              std::string::npos);
        CHECK(std::string(d.no_fix[0].why).find("may not go") != std::string::npos);
    }
    SECTION("mems allow a third node: memory goes where it may")
    {
        Host h(3, 4);
        h.simple(2, 0, 512, 1);
        h.vms[0].may_move = false;
        h.vms[0].clients[0].mem_nodes = (1ull << 1) | (1ull << 2);
        auto &d = h.decide();
        CHECK(d.nactions == 0); // node 0 is the only useful target, forbidden
        CHECK(h.no_fix_of(0).find("may not go") != std::string::npos);
    }
    SECTION("operator-pinned vCPUs stay; the others follow the memory")
    {
        Host h(2, 4);
        ClientSpec c{{2, 0}, {0, 512 * MiB}, {1, 0}};
        h.vms.push_back(VmSpec{{c}, true, false, true, false});
        auto &d = h.decide();
        REQUIRE(d.nactions == 1);
        CHECK(d.actions[0].moved == 2);
        CHECK(d.actions[0].rate_after == Approx(2.0 / 3.0));
    }
}

TEST_CASE("decide: migrations respect free memory and the budget", "[numa][decide]")
{
    SECTION("a node takes no more than its free memory above the reserve")
    {
        Host h(2, 4, 320); // 320 MiB free, 64 reserved: 256 MiB fit
        h.simple(2, 0, 512, 1);
        h.vms[0].may_move = false;
        auto &d = h.decide();
        REQUIRE(d.nactions == 1);
        CHECK(d.actions[0].bytes == 256 * MiB);
        CHECK(d.actions[0].rate_after == Approx(0.5));
    }
    SECTION("queued migrations and new ones stay within the horizon")
    {
        Host h(2, 64, 65536);
        for (int i = 0; i < 8; i++)
            h.simple(2, 0, 1024, 1);
        for (auto &v : h.vms)
            v.may_move = false;
        h.cfg.migrate_bytes_per_s = 256 * MiB;
        h.cfg.horizon_s = 10; // 2.5 GiB in all
        h.cfg.queued_bytes = 512 * MiB;
        auto &d = h.decide();
        uint64_t total = 0;
        for (size_t i = 0; i < d.nactions; i++)
            total += d.actions[i].bytes;
        CHECK(total == 2048 * MiB);
        CHECK(d.nactions == 2);
        CHECK(d.nno_fix == 6);
        CHECK(h.no_fix_of(7).find("budget") != std::string::npos);
    }
}

TEST_CASE("decide: strategies and the engine's fix option", "[numa][decide]")
{
    Host h(2, 4);
    h.simple(2, 0, 512, 1);
    h.simple(2, 0, 4, 1); // a little memory: cheaper to migrate than move
    h.simple(2, 0, 512, 1);
    h.vms[2].may_move = false; // LoadBalanced: memory follows the vCPUs
    auto &d = h.decide();
    CHECK(h.action_of(0)->kind == VA_ACT_MOVE_VCPUS);
    CHECK(h.action_of(1)->kind == VA_ACT_MIGRATE);
    CHECK(h.action_of(2)->kind == VA_ACT_MIGRATE);
    CHECK(d.nno_fix == 0);
}

TEST_CASE("decide: busy and content VMs are left alone", "[numa][decide]")
{
    Host h(2, 4);
    h.simple(2, 0, 512, 1);
    h.simple(2, 0, 512, 1);
    h.vms[0].busy = true;   // its migration is under way
    h.vms[1].wants = false; // its gate is closed
    auto &d = h.decide();
    CHECK(d.nactions == 0);
    CHECK(d.nno_fix == 0);
}

TEST_CASE("decide: thousands of VMs on a 16-node host", "[numa][decide][scale]")
{
    // 5000 VMs of 2 vCPUs on 16 nodes of 640 PUs; every third VM misplaced.
    Host h(16, 640, 1 << 20);
    std::mt19937 rng(7);
    for (int i = 0; i < 5000; i++) {
        unsigned mem = rng() % 16, cpu = i % 3 ? mem : (mem + 1 + rng() % 15) % 16;
        h.simple(2, cpu, 64 + rng() % 512, mem);
        h.vms.back().wants = i % 3 == 0;
    }
    auto &d = h.decide();
    // Every VM that wanted a fix has an action or a reason, never both;
    // exchange partners may have actions too.
    std::vector<int> acted(h.vms.size()), reasons(h.vms.size());
    for (size_t i = 0; i < d.nactions; i++)
        acted[h.m.clients[d.actions[i].client].vm]++;
    for (size_t i = 0; i < d.nno_fix; i++)
        reasons[d.no_fix[i].vm]++;
    for (size_t v = 0; v < h.vms.size(); v++) {
        INFO("VM " << v);
        CHECK(acted[v] <= 1);
        CHECK(reasons[v] == (h.vms[v].wants && !acted[v] ? 1 : 0));
    }
    CHECK(d.rate_after > d.rate_before + 0.2);
    for (size_t i = 0; i < d.nactions; i++)
        CHECK(d.actions[i].rate_after >= d.actions[i].rate_before - 1e-9);
}

TEST_CASE("decide: random hosts never overfill a node", "[numa][decide][property]")
{
    std::mt19937 rng(42);
    for (int round = 0; round < 200; round++) {
        unsigned nodes = 2 + rng() % 6, pus = 1 + rng() % 6;
        Host h(nodes, pus, 64 + rng() % 2048);
        unsigned nvms = 1 + rng() % 12;
        for (unsigned v = 0; v < nvms; v++) {
            VmSpec vs;
            unsigned nclients = 1 + rng() % 2;
            for (unsigned c = 0; c < nclients; c++) {
                ClientSpec cs;
                cs.vcpus.assign(nodes, 0);
                cs.bytes.assign(nodes, 0);
                for (unsigned k = 0; k < 1 + rng() % 4; k++)
                    cs.vcpus[rng() % nodes]++;
                for (unsigned k = 0; k < 1 + rng() % 3; k++)
                    cs.bytes[rng() % nodes] += (1 + rng() % 512) * MiB;
                if (rng() % 4 == 0)
                    cs.mem_nodes = rng() | 1;
                vs.clients.push_back(cs);
            }
            vs.wants = rng() % 3 != 0;
            vs.may_move = rng() % 5 != 0;
            vs.prefer_move = rng() % 2;
            h.vms.push_back(vs);
        }
        INFO("round " << round);
        auto &d = h.decide(); // check_capacity runs inside
        CHECK(d.rate_after >= d.rate_before - 1e-9);
        for (size_t i = 0; i < d.nactions; i++) {
            const va_action &a = d.actions[i];
            CHECK(a.rate_after >= a.rate_before - 1e-9);
            if (a.kind == VA_ACT_MIGRATE)
                CHECK(((h.m.clients[a.client].mem_nodes >> a.target) & 1) == 1);
        }
    }
}
