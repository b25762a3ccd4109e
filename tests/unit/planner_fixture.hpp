// Shared by the planner tests: synthetic topologies, random VM mixes and
// independent recomputation of loads from a placement (the checks here do
// not reuse the planner's own bookkeeping).
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include "affinity/planner.h"
#include "topology/topo.h"
}

namespace pf {

struct Topo {
    vmaccel_topology *t = nullptr;
    explicit Topo(const std::string &synthetic, const char *allowed = nullptr)
    {
        vmaccel_topology_options o = VMACCEL_TOPOLOGY_OPTIONS_INIT;
        o.source = VMACCEL_TOPOLOGY_SYNTHETIC;
        o.synthetic = synthetic.c_str();
        o.allowed_cpus = allowed;
        int rc = va_topology_build(&o, &t);
        INFO(synthetic << ": " << vmaccel_error_last());
        REQUIRE(rc == 0);
    }
    ~Topo() { va_topology_destroy(t); }
    Topo(const Topo &) = delete;
    Topo &operator=(const Topo &) = delete;
    unsigned pus() const { return t->count[VMACCEL_OBJ_PU]; }
    unsigned nodes() const { return va_topology_nodes(t); }
};

// Deterministic pseudo-random numbers (tests must be reproducible).
struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed * 2862933555777941757ull + 3037000493ull) {}
    unsigned next(unsigned bound)
    {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return bound ? unsigned((s >> 33) % bound) : 0;
    }
};

struct Plan {
    va_plan p{};
    ~Plan() { va_plan_release(&p); }
};

struct Input {
    std::vector<va_plan_vm> vms;
    std::vector<std::vector<uint64_t>> mem;
    std::unique_ptr<bool[]> reserved;
    va_plan_input in{};
    Input(const Topo &t, const std::vector<unsigned> &sizes, vmaccel_strategy s)
    {
        for (unsigned n : sizes) {
            va_plan_vm v{};
            v.nvcpus = n;
            v.strategy = s;
            vms.push_back(v);
        }
        in.topo = t.t;
        in.smt = VMACCEL_SMT_SPREAD;
        sync();
    }
    void sync()
    {
        for (size_t i = 0; i < mem.size() && i < vms.size(); i++)
            vms[i].mem_per_node = mem[i].empty() ? nullptr : mem[i].data();
        in.vms = vms.data();
        in.nvms = vms.size();
        in.reserved = reserved.get();
    }
};

// Loads computed from scratch from a placement.
struct Loads {
    std::vector<unsigned> pu, core, node;
    Loads(const Topo &t, const va_plan &p)
        : pu(t.pus()), core(t.t->count[VMACCEL_OBJ_CORE] + t.pus()), node(t.nodes())
    {
        for (size_t v = 0; v < p.nvcpus; v++) {
            const va_topo_pu &x = t.t->pus[p.pu[v]];
            pu[p.pu[v]]++;
            core[x.core]++;
            node[x.node]++;
        }
    }
};

} // namespace pf
