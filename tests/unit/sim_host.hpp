// A simulated host for NUMA engine tests: N nodes of P CPUs, VM-like
// processes with vCPU threads and guest RAM placed on nodes, and a tick
// that plays the scheduler (each vCPU runs on an allowed CPU, the least
// busy one when it must move) before running one engine period. The true
// local rate of a VM is read from the sim's page table, not from the
// engine, so tests check what happened, not what the engine believes.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

extern "C" {
#include "numa/engine.h"
#include "platform/sim_numa.h"
#include "vmm/vm_internal.h"
#include "vmaccel/vmaccel.h"
}

struct SimVm {
    int pid;
    std::vector<int> tids;
    uint64_t base, bytes;
    vmaccel_vm *vm = nullptr;
};

struct SimHost {
    unsigned nodes, cpus_per_node;
    va_sim *sim = nullptr;
    vmaccel_manager *m = nullptr;
    std::vector<SimVm> vms;
    uint64_t runtime = 0;
    int next_pid = 1000;

    SimHost(unsigned n, unsigned per_node, uint64_t node_mib = 0) : nodes(n), cpus_per_node(per_node)
    {
        std::string online = "0-" + std::to_string(n * per_node - 1);
        REQUIRE(va_sim_new(online.c_str(), &sim) == 0);
        for (unsigned k = 0; node_mib && k < n; k++)
            REQUIRE(va_sim_set_node_memory(sim, (int)k, node_mib << 20) == 0);
        vmaccel_topology_options t = VMACCEL_TOPOLOGY_OPTIONS_INIT;
        t.source = VMACCEL_TOPOLOGY_SYNTHETIC;
        std::string syn = "numa:" + std::to_string(n) + " core:" + std::to_string(per_node) +
                          " pu:1";
        t.synthetic = syn.c_str();
        vmaccel_manager_options o = VMACCEL_MANAGER_OPTIONS_INIT;
        o.topology = &t;
        REQUIRE(vmaccel_manager_new(&o, &m) == 0);
        m->platform = va_sim_platform(sim);
    }
    ~SimHost()
    {
        vmaccel_manager_free(m);
        va_sim_free(sim);
    }
    int cpu_of(unsigned node, unsigned k) const { return (int)(node * cpus_per_node + k); }

    // A VM with `vcpus` vCPU threads pinned to `cpu_node`'s CPUs and `mib`
    // of RAM on `mem_node` (VA_SIM_NOT_RESIDENT: a guest not started yet).
    size_t add_vm(unsigned vcpus, unsigned cpu_node, uint64_t mib, int mem_node,
                  bool attach = true)
    {
        SimVm v;
        v.pid = next_pid;
        next_pid += 100;
        v.base = 0x7f0000000000ull;
        v.bytes = mib << 20;
        REQUIRE(va_sim_spawn(sim, v.pid, "qemu-system-x86") == 0);
        std::string mask = std::to_string(cpu_of(cpu_node, 0)) + "-" +
                           std::to_string(cpu_of(cpu_node, cpus_per_node - 1));
        for (unsigned i = 0; i < vcpus; i++) {
            int tid = v.pid + 1 + (int)i;
            std::string name = "CPU " + std::to_string(i) + "/KVM";
            REQUIRE(va_sim_add_thread(sim, v.pid, tid, name.c_str()) == 0);
            set_affinity(tid, mask);
            REQUIRE(va_sim_set_last_cpu(sim, tid, cpu_of(cpu_node, i % cpus_per_node)) == 0);
            v.tids.push_back(tid);
        }
        REQUIRE(va_sim_map(sim, v.pid, v.base, v.bytes, mem_node) == 0);
        if (attach)
            REQUIRE(vmaccel_vm_attach_pid(m, v.pid, nullptr, &v.vm) == 0);
        vms.push_back(v);
        return vms.size() - 1;
    }
    void set_affinity(int tid, const std::string &list)
    {
        va_cpumask mask;
        REQUIRE(va_cpumask_parse(list.c_str(), &mask) == 0);
        const va_platform *p = va_sim_platform(sim);
        REQUIRE(p->set_affinity(p, tid, &mask) == 0);
    }
    void enable(vmaccel_numa_fix fix = VMACCEL_NUMA_FIX_CHEAPER, bool dry = false,
                bool override_pins = true)
    {
        vmaccel_numa_options o = VMACCEL_NUMA_OPTIONS_INIT;
        o.fix = fix;
        o.dry_run = dry;
        /* add_vm places vCPUs with an affinity, which reads as an operator's
         * taskset (vmm/limits.h): these hosts let the engine move them,
         * unless a test is about respecting that. */
        o.override_pins = override_pins;
        REQUIRE(vmaccel_manager_configure_numa(m, &o) == 0);
        REQUIRE(vmaccel_manager_enable_numa(m, nodes) == 0);
    }
    int last_cpu(int tid)
    {
        const va_platform *p = va_sim_platform(sim);
        char *stat = nullptr;
        size_t len;
        int pid = tid - tid % 100; // pids step by 100 and tids follow them
        if (p->read_proc(p, pid, tid, "stat", &stat, &len) != 0)
            return -1;
        int cpu = va_parse_stat_cpu(stat);
        free(stat);
        return cpu;
    }
    // The scheduler: a vCPU whose CPU is no longer allowed moves to the
    // allowed CPU running the fewest vCPUs. Each vCPU ran 10 ms.
    void schedule()
    {
        runtime += 10000000;
        std::map<int, int> load;
        for (auto &v : vms)
            for (int tid : v.tids)
                load[last_cpu(tid)]++;
        const va_platform *p = va_sim_platform(sim);
        for (auto &v : vms)
            for (int tid : v.tids) {
                std::string ss = std::to_string(runtime) + " 0 0\n";
                va_sim_set_file(sim, v.pid, tid, "schedstat", ss.c_str());
                va_cpumask mask;
                if (p->get_affinity(p, tid, &mask) != 0)
                    continue;
                int cur = last_cpu(tid);
                if (cur >= 0 && va_cpumask_isset(&mask, (unsigned)cur))
                    continue;
                int best = -1;
                for (int c = 0; c < (int)(nodes * cpus_per_node); c++)
                    if (va_cpumask_isset(&mask, (unsigned)c) && (best < 0 || load[c] < load[best]))
                        best = c;
                load[cur]--;
                load[best]++;
                va_sim_set_last_cpu(sim, tid, best);
            }
    }
    // A guest scheduler for threads nobody pinned: each of the VM's vCPUs
    // hops to the next CPU its affinity allows, across nodes when it may.
    void roam(size_t i)
    {
        const va_platform *p = va_sim_platform(sim);
        int all = (int)(nodes * cpus_per_node);
        for (int tid : vms[i].tids) {
            va_cpumask mask;
            REQUIRE(p->get_affinity(p, tid, &mask) == 0);
            int cur = last_cpu(tid);
            for (int k = 1; k <= all; k++) {
                int c = (cur + k) % all;
                if (va_cpumask_isset(&mask, (unsigned)c)) {
                    va_sim_set_last_cpu(sim, tid, c);
                    break;
                }
            }
        }
    }
    void tick(uint64_t ns = 1000000000ull)
    {
        schedule();
        va_sim_advance(sim, ns);
        REQUIRE(vmaccel_manager_numa_tick(m) == 0);
    }
    unsigned node_of_cpu(int cpu) const { return cpu < 0 ? ~0u : (unsigned)cpu / cpus_per_node; }
    // The share of the VM's pages on the node each vCPU runs on, averaged
    // over its vCPUs - from the sim, not the engine.
    double true_rate(size_t i)
    {
        std::vector<uint64_t> pages(nodes);
        REQUIRE(va_sim_count_pages(sim, vms[i].pid, nodes, pages.data()) == 0);
        uint64_t all = 0;
        for (auto p : pages)
            all += p;
        double sum = 0;
        for (int tid : vms[i].tids) {
            unsigned n = node_of_cpu(last_cpu(tid));
            sum += n < nodes && all ? (double)pages[n] / (double)all : 0.0;
        }
        return vms[i].tids.empty() ? 0.0 : sum / (double)vms[i].tids.size();
    }
    struct Ev {
        int type;
        uint64_t vm;
        std::string msg;
    };
    std::vector<Ev> events()
    {
        std::vector<Ev> out;
        vmaccel_buf b = {nullptr, 0};
        while (vmaccel_event_next(m, 0, &b) == 0) {
            auto *ev = vmaccel__v1__event__unpack(nullptr, b.len, b.data);
            REQUIRE(ev != nullptr);
            out.push_back({ev->type, ev->vm_id, ev->message});
            vmaccel__v1__event__free_unpacked(ev, nullptr);
            vmaccel_buf_free(&b);
        }
        return out;
    }
    static int count(const std::vector<Ev> &ev, int type)
    {
        return (int)std::count_if(ev.begin(), ev.end(), [&](const Ev &e) { return e.type == type; });
    }
};
