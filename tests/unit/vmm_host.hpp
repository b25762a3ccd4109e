// The simulated host the vm-accel VM tests share: a manager on a synthetic
// topology acting through a sim, QEMU-like processes, affinities.
#pragma once

#include <catch2/catch.hpp>

#include <string>

extern "C" {
#include "platform/sim.h"
#include "vmm/vm_internal.h"
}

struct Host {
    va_sim *sim = nullptr;
    vmaccel_manager *m = nullptr;
    explicit Host(const char *synthetic = "numa:2 core:2 pu:1", const char *online = "0-3")
    {
        REQUIRE(va_sim_new(online, &sim) == 0);
        vmaccel_topology_options t = VMACCEL_TOPOLOGY_OPTIONS_INIT;
        t.source = VMACCEL_TOPOLOGY_SYNTHETIC;
        t.synthetic = synthetic;
        vmaccel_manager_options o = VMACCEL_MANAGER_OPTIONS_INIT;
        o.topology = &t;
        REQUIRE(vmaccel_manager_new(&o, &m) == 0);
        m->platform = va_sim_platform(sim);
    }
    ~Host()
    {
        va_vm_detach_all(m); // until vmaccel_manager_free does it
        vmaccel_manager_free(m);
        va_sim_free(sim);
    }
    // A QEMU-like process: main thread, n vCPU threads "CPU i/KVM" with
    // tids pid+1+i, and an I/O thread.
    void qemu(int pid, int n)
    {
        REQUIRE(va_sim_spawn(sim, pid, "qemu-system-x86") == 0);
        for (int i = 0; i < n; i++)
            REQUIRE(va_sim_add_thread(sim, pid, pid + 1 + i,
                                      ("CPU " + std::to_string(i) + "/KVM").c_str()) == 0);
        REQUIRE(va_sim_add_thread(sim, pid, pid + 50, "IO mon_iothread") == 0);
    }
    // Attaches the VMM `pid` (no guest RAM mapped).
    vmaccel_vm *attach(int pid)
    {
        REQUIRE(va_sim_set_file(sim, pid, 0, "maps", "") == 0);
        vmaccel_vm *vm = nullptr;
        REQUIRE(vmaccel_vm_attach_pid(m, pid, nullptr, &vm) == 0);
        return vm;
    }
    void set_cpus(int tid, const char *cpulist)
    {
        va_cpumask mask;
        REQUIRE(va_cpumask_parse(cpulist, &mask) == 0);
        REQUIRE(va_sim_platform(sim)->set_affinity(va_sim_platform(sim), tid, &mask) == 0);
    }
    std::string cpus(int tid)
    {
        va_cpumask mask;
        REQUIRE(va_sim_platform(sim)->get_affinity(va_sim_platform(sim), tid, &mask) == 0);
        char buf[64];
        va_cpumask_format(&mask, buf, sizeof buf);
        return buf;
    }
};

inline vmaccel_vcpu_info vcpu(vmaccel_vm *vm, unsigned i)
{
    vmaccel_vcpu_info info = VMACCEL_VCPU_INFO_INIT;
    REQUIRE(vmaccel_vm_vcpu(vm, i, &info) == 0);
    return info;
}

