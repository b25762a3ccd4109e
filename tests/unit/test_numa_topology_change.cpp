// The NUMA engine's topology watch on the simulated host: CPUs going
// offline/online and vm-accel's cpuset shrinking are TOPOLOGY_CHANGED
// events, and vCPUs left on CPUs no longer usable are re-planned.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

extern "C" {
#include "affinity/replan.h"
#include "numa/cpu_watch.h"
#include "numa/engine.h"
#include "platform/sim_numa.h"
#include "vmm/vm_internal.h"
#include "vmaccel/vmaccel.h"
}

namespace {

const uint64_t RAM = 0x7f0000000000ull, RAM_BYTES = 16ull << 20;

struct Event {
    int type;
    uint64_t vm_id;
    std::string message;
};

// Node 0: CPUs 0-3, node 1: CPUs 4-7. A VM (pid 100) with `nvcpus` vCPUs
// (tids 101...) and its RAM on node 1, pinned LocalFirst: its vCPUs sit
// on node 1 next to their memory, so the policy has nothing to do.
struct Host {
    va_sim *sim = nullptr;
    vmaccel_manager *m = nullptr;
    vmaccel_vm *vm = nullptr;
    int nvcpus;
    uint64_t runtime = 0;

    explicit Host(int n = 2, bool dry_run = false) : nvcpus(n)
    {
        REQUIRE(va_sim_new("0-7", &sim) == 0);
        vmaccel_topology_options t = VMACCEL_TOPOLOGY_OPTIONS_INIT;
        t.source = VMACCEL_TOPOLOGY_SYNTHETIC;
        t.synthetic = "numa:2 core:4 pu:1";
        vmaccel_manager_options o = VMACCEL_MANAGER_OPTIONS_INIT;
        o.topology = &t;
        REQUIRE(vmaccel_manager_new(&o, &m) == 0);
        m->platform = va_sim_platform(sim);
        REQUIRE(va_sim_spawn(sim, 100, "qemu-system-x86") == 0);
        for (int i = 0; i < n; i++)
            REQUIRE(va_sim_add_thread(sim, 100, 101 + i,
                                      ("CPU " + std::to_string(i) + "/KVM").c_str()) == 0);
        REQUIRE(va_sim_map(sim, 100, RAM, RAM_BYTES, 1) == 0);
        REQUIRE(vmaccel_vm_attach_pid(m, 100, nullptr, &vm) == 0);
        REQUIRE(vmaccel_vm_configure_affinity(vm, 0, VMACCEL_STRATEGY_LOCAL_FIRST) == 0);
        for (int i = 0; i < n; i++)
            REQUIRE(planned(i) >= 4);
        vmaccel_numa_options no = VMACCEL_NUMA_OPTIONS_INIT;
        no.dry_run = dry_run;
        REQUIRE(vmaccel_manager_configure_numa(m, &no) == 0);
        REQUIRE(vmaccel_manager_enable_numa(m, 2) == 0);
        tick();
        tick();
        events(); // VM_ATTACHED, LOCALITY_CHANGED
    }
    ~Host()
    {
        vmaccel_manager_free(m);
        va_sim_free(sim);
    }
    // One period: each vCPU ran 10 ms on the first CPU its affinity allows
    // (kept where it was while still allowed and online).
    void tick()
    {
        runtime += 10000000;
        const va_platform *p = va_sim_platform(sim);
        for (int i = 0; i < nvcpus; i++) {
            int tid = 101 + i;
            va_cpumask mask, online;
            if (p->get_affinity(p, tid, &mask) != 0)
                continue; // the thread has gone
            std::string ss = std::to_string(runtime) + " 0 0\n";
            REQUIRE(va_sim_set_file(sim, 100, tid, "schedstat", ss.c_str()) == 0);
            REQUIRE(p->online_cpus(p, &online) == 0);
            va_cpumask_and(&mask, &mask, &online);
            char *stat = nullptr;
            size_t len;
            REQUIRE(p->read_proc(p, 100, tid, "stat", &stat, &len) == 0);
            int last = va_parse_stat_cpu(stat);
            free(stat);
            if (last >= 0 && va_cpumask_isset(&mask, (unsigned)last))
                continue;
            for (unsigned cpu = 0; cpu < 8; cpu++)
                if (va_cpumask_isset(&mask, cpu)) {
                    REQUIRE(va_sim_set_last_cpu(sim, tid, (int)cpu) == 0);
                    break;
                }
        }
        va_sim_advance(sim, 1000000000ull);
        REQUIRE(vmaccel_manager_numa_tick(m) == 0);
    }
    std::vector<Event> events()
    {
        std::vector<Event> out;
        vmaccel_buf b = {nullptr, 0};
        while (vmaccel_event_next(m, 0, &b) == 0) {
            auto *ev = vmaccel__v1__event__unpack(nullptr, b.len, b.data);
            REQUIRE(ev != nullptr);
            out.push_back({ev->type, ev->vm_id, ev->message ? ev->message : ""});
            vmaccel__v1__event__free_unpacked(ev, nullptr);
            vmaccel_buf_free(&b);
        }
        return out;
    }
    vmaccel_vcpu_info info(int i)
    {
        vmaccel_vcpu_info v = VMACCEL_VCPU_INFO_INIT;
        REQUIRE(vmaccel_vm_vcpu(vm, (unsigned)i, &v) == 0);
        return v;
    }
    int planned(int i) { return info(i).planned_cpu; }
    std::string affinity(int i)
    {
        va_cpumask mask;
        const va_platform *p = va_sim_platform(sim);
        REQUIRE(p->get_affinity(p, 101 + i, &mask) == 0);
        char buf[64];
        va_cpumask_format(&mask, buf, sizeof buf);
        return buf;
    }
    uint64_t vm_id()
    {
        vmaccel_vm_info vi = VMACCEL_VM_INFO_INIT;
        REQUIRE(vmaccel_vm_info_get(vm, &vi) == 0);
        return vi.id;
    }
    // CPUs 0-7 without `cpu`, as a cpulist ("0-4,6-7").
    static std::string all_but(int cpu)
    {
        va_cpumask m;
        va_cpumask_zero(&m);
        for (unsigned c = 0; c < 8; c++)
            if ((int)c != cpu)
                va_cpumask_set(&m, c);
        char buf[64];
        va_cpumask_format(&m, buf, sizeof buf);
        return buf;
    }
};

std::vector<Event> of_type(const std::vector<Event> &ev, int type)
{
    std::vector<Event> out;
    std::copy_if(ev.begin(), ev.end(), std::back_inserter(out),
                 [type](const Event &e) { return e.type == type; });
    return out;
}

std::vector<int> types(const std::vector<Event> &ev)
{
    std::vector<int> out;
    for (const auto &e : ev)
        if (e.type != VMACCEL_EVENT_LOCALITY_CHANGED)
            out.push_back(e.type);
    return out;
}

std::string fmt(const va_cpumask &m)
{
    char buf[128];
    va_cpumask_format(&m, buf, sizeof buf);
    return buf;
}

} // namespace

TEST_CASE("topology: a CPU hosting a pinned vCPU goes offline and back",
          "[numa][topology]")
{
    Host h;
    int cpu = h.planned(1), other = h.planned(0);
    REQUIRE(h.affinity(1) == std::to_string(cpu));

    REQUIRE(va_sim_set_online(h.sim, Host::all_but(cpu).c_str()) == 0);
    h.tick();
    auto ev = h.events();
    CHECK(types(ev) == std::vector<int>{VMACCEL_EVENT_TOPOLOGY_CHANGED,
                                        VMACCEL_EVENT_REBALANCE_PLANNED,
                                        VMACCEL_EVENT_REBALANCE_APPLIED});
    auto topo = of_type(ev, VMACCEL_EVENT_TOPOLOGY_CHANGED);
    REQUIRE(topo.size() == 1);
    CHECK(topo[0].vm_id == 0);
    CHECK(topo[0].message ==
          "CPU " + std::to_string(cpu) + " offline; online " + Host::all_but(cpu));
    auto applied = of_type(ev, VMACCEL_EVENT_REBALANCE_APPLIED);
    REQUIRE(applied.size() == 1);
    CHECK(applied[0].vm_id == h.vm_id());
    CHECK(applied[0].message.find("vCPU 1: CPU " + std::to_string(cpu)) != std::string::npos);

    // Moved to an online CPU of the same node (node 1 has free CPUs); the
    // other vCPU stays where it was.
    int now = h.planned(1);
    CHECK(now != cpu);
    CHECK(now >= 4);
    CHECK(h.info(1).planned_node == 1);
    CHECK(h.affinity(1) == std::to_string(now));
    CHECK(h.planned(0) == other);
    CHECK(h.affinity(0) == std::to_string(other));
    vmaccel_locality_info li = VMACCEL_LOCALITY_INFO_INIT;
    REQUIRE(vmaccel_vm_locality(h.vm, &li) == 0);
    CHECK(li.vcpu_moves == 1);
    CHECK(li.failures == 0);

    // Nothing changes any more: no event spam.
    for (int i = 0; i < 5; i++)
        h.tick();
    CHECK(types(h.events()).empty());

    // Back online: an event, nothing moved back (our choice).
    REQUIRE(va_sim_set_online(h.sim, "0-7") == 0);
    h.tick();
    ev = h.events();
    CHECK(types(ev) == std::vector<int>{VMACCEL_EVENT_TOPOLOGY_CHANGED});
    topo = of_type(ev, VMACCEL_EVENT_TOPOLOGY_CHANGED);
    REQUIRE(topo.size() == 1);
    CHECK(topo[0].message == "CPU " + std::to_string(cpu) + " online; online 0-7");
    CHECK(h.planned(1) == now);
    for (int i = 0; i < 5; i++)
        h.tick();
    CHECK(types(h.events()).empty());
}

TEST_CASE("topology: a full node sends the vCPU to the nearest node", "[numa][topology]")
{
    Host h(4); // node 1 (CPUs 4-7) holds all four vCPUs
    REQUIRE(va_sim_set_online(h.sim, "0-6") == 0);
    h.tick();
    auto ev = h.events();
    CHECK(of_type(ev, VMACCEL_EVENT_TOPOLOGY_CHANGED).size() == 1);
    CHECK(of_type(ev, VMACCEL_EVENT_REBALANCE_APPLIED).size() == 1);
    std::vector<int> cpus;
    for (int i = 0; i < 4; i++)
        cpus.push_back(h.planned(i));
    std::sort(cpus.begin(), cpus.end());
    CHECK(std::find(cpus.begin(), cpus.end(), 7) == cpus.end());
    CHECK(cpus[0] < 4);                           // the moved one, on node 0
    CHECK(std::vector<int>(cpus.begin() + 1, cpus.end()) == std::vector<int>{4, 5, 6});
}

TEST_CASE("topology: vm-accel's cpuset shrinks while running", "[numa][topology]")
{
    Host h;
    REQUIRE(va_sim_set_own_cpuset(h.sim, "0-3") == 0);
    h.tick();
    auto ev = h.events();
    auto topo = of_type(ev, VMACCEL_EVENT_TOPOLOGY_CHANGED);
    REQUIRE(topo.size() == 1);
    CHECK(topo[0].message == "cpuset now 0-3");
    REQUIRE(of_type(ev, VMACCEL_EVENT_REBALANCE_PLANNED).size() == 1);
    CHECK(of_type(ev, VMACCEL_EVENT_REBALANCE_PLANNED)[0].message.find("vCPU(s) 0,1 on CPU(s) 4-7")
          != std::string::npos);
    CHECK(of_type(ev, VMACCEL_EVENT_REBALANCE_APPLIED).size() == 1);
    CHECK(of_type(ev, VMACCEL_EVENT_REBALANCE_FAILED).empty());
    for (int i = 0; i < 2; i++) {
        CHECK(h.planned(i) < 4);
        CHECK(h.affinity(i) == std::to_string(h.planned(i)));
    }
    CHECK(h.planned(0) != h.planned(1));

    // Pinning afresh plans inside the cpuset only, though the memory is
    // still on node 1.
    REQUIRE(vmaccel_vm_configure_affinity(h.vm, 0, VMACCEL_STRATEGY_LOCAL_FIRST) == 0);
    CHECK(h.planned(0) < 4);
    CHECK(h.planned(1) < 4);
    for (int i = 0; i < 3; i++)
        h.tick();
    ev = h.events();
    CHECK(of_type(ev, VMACCEL_EVENT_TOPOLOGY_CHANGED).empty());
}

TEST_CASE("topology: planning excludes offline CPUs", "[numa][topology]")
{
    Host h;
    REQUIRE(va_sim_set_online(h.sim, "0-3,6") == 0); // node 1 keeps CPU 6
    h.tick();
    REQUIRE(vmaccel_vm_configure_affinity(h.vm, 0, VMACCEL_STRATEGY_LOCAL_FIRST) == 0);
    for (int i = 0; i < 2; i++) {
        int c = h.planned(i);
        CHECK((c == 6 || c < 4));
    }
    CHECK(h.planned(0) != h.planned(1));
}

TEST_CASE("topology: a vCPU thread gone meanwhile is a failure, not a crash",
          "[numa][topology][faults]")
{
    Host h;
    int cpu = h.planned(1);
    REQUIRE(va_sim_exit_thread(h.sim, 100, 102) == 0);
    REQUIRE(va_sim_set_online(h.sim, Host::all_but(cpu).c_str()) == 0);
    h.tick();
    auto ev = h.events();
    CHECK(of_type(ev, VMACCEL_EVENT_TOPOLOGY_CHANGED).size() == 1);
    auto failed = of_type(ev, VMACCEL_EVENT_REBALANCE_FAILED);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].message.find("tid 102") != std::string::npos);
    CHECK(h.info(1).gone == 1);
    CHECK(h.info(1).result == VMACCEL_EGONE);
    vmaccel_locality_info li = VMACCEL_LOCALITY_INFO_INIT;
    REQUIRE(vmaccel_vm_locality(h.vm, &li) == 0);
    CHECK(li.failures == 1);
    // The gone thread is not tried again at the next change.
    REQUIRE(va_sim_set_online(h.sim, "0-7") == 0);
    h.tick();
    REQUIRE(va_sim_set_online(h.sim, Host::all_but(cpu).c_str()) == 0);
    h.tick();
    ev = h.events();
    CHECK(of_type(ev, VMACCEL_EVENT_TOPOLOGY_CHANGED).size() == 2);
    CHECK(of_type(ev, VMACCEL_EVENT_REBALANCE_FAILED).empty());
    CHECK(of_type(ev, VMACCEL_EVENT_REBALANCE_PLANNED).empty());
}

TEST_CASE("topology: the VMM gone meanwhile is VM_GONE, not a re-plan", "[numa][topology][faults]")
{
    Host h;
    REQUIRE(va_sim_exit(h.sim, 100) == 0);
    REQUIRE(va_sim_set_online(h.sim, "0-3") == 0);
    h.tick();
    auto ev = h.events();
    CHECK(of_type(ev, VMACCEL_EVENT_TOPOLOGY_CHANGED).size() == 1);
    CHECK(of_type(ev, VMACCEL_EVENT_VM_GONE).size() == 1);
    CHECK(of_type(ev, VMACCEL_EVENT_REBALANCE_PLANNED).empty());
    CHECK(of_type(ev, VMACCEL_EVENT_REBALANCE_FAILED).empty());
}

TEST_CASE("topology: a dry run plans and moves nothing", "[numa][topology]")
{
    Host h(2, true);
    int cpu = h.planned(1);
    REQUIRE(va_sim_set_online(h.sim, Host::all_but(cpu).c_str()) == 0);
    h.tick();
    auto ev = h.events();
    auto planned = of_type(ev, VMACCEL_EVENT_REBALANCE_PLANNED);
    REQUIRE(planned.size() == 1);
    CHECK(planned[0].message.find("(dry run)") != std::string::npos);
    CHECK(of_type(ev, VMACCEL_EVENT_REBALANCE_APPLIED).empty());
    CHECK(h.planned(1) != cpu);
    // The thread keeps the kernel's fallback: its cpuset, the offline CPU too.
    CHECK(h.affinity(1) == "0-7");
}

TEST_CASE("topology: no VM pinned there, no re-plan", "[numa][topology]")
{
    Host h;
    REQUIRE(va_sim_set_online(h.sim, "0-5") == 0); // CPUs 6-7 held no vCPU
    int a = h.planned(0), b = h.planned(1);
    REQUIRE(a < 6);
    REQUIRE(b < 6);
    h.tick();
    CHECK(types(h.events()) == std::vector<int>{VMACCEL_EVENT_TOPOLOGY_CHANGED});
    CHECK(h.planned(0) == a);
    CHECK(h.planned(1) == b);
}

TEST_CASE("topology: change messages", "[numa][topology]")
{
    auto mask = [](const char *list) {
        va_cpumask m;
        REQUIRE(va_cpumask_parse(list, &m) == 0);
        return m;
    };
    va_cpu_change c;
    va_cpumask all = mask("0-7");

    va_cpu_change_between(&all, &all, &all, &all, &c);
    CHECK_FALSE(c.changed);
    CHECK_FALSE(c.shrank);

    va_cpumask on = mask("0-1,4-7");
    va_cpu_change_between(&all, &all, &on, &on, &c);
    CHECK(c.changed);
    CHECK(c.shrank);
    CHECK(std::string(c.message) == "CPUs 2-3 offline; online 0-1,4-7");
    CHECK(fmt(c.lost) == "2-3");

    va_cpu_change_between(&on, &on, &all, &all, &c);
    CHECK(std::string(c.message) == "CPUs 2-3 online; online 0-7");
    CHECK_FALSE(c.shrank);

    // The cpuset lagging behind the hotplug is the same change, not a new one.
    va_cpu_change_between(&all, &all, &on, &all, &c);
    CHECK(std::string(c.message) == "CPUs 2-3 offline; online 0-1,4-7");
    va_cpu_change_between(&on, &all, &on, &on, &c);
    CHECK_FALSE(c.changed);

    // A CPU back online that the cpuset does not give back (cgroup v1).
    va_cpu_change_between(&on, &on, &all, &on, &c);
    CHECK(std::string(c.message) == "CPUs 2-3 online; online 0-7; usable 0-1,4-7");
    CHECK_FALSE(c.shrank);

    va_cpumask half = mask("0-3");
    va_cpu_change_between(&all, &all, &all, &half, &c);
    CHECK(std::string(c.message) == "cpuset now 0-3");
    CHECK(c.shrank);
    CHECK(fmt(c.usable) == "0-3");

    va_cpumask one_off = mask("0-2,4-7");
    va_cpu_change_between(&all, &all, &one_off, &half, &c);
    CHECK(std::string(c.message) == "CPU 3 offline; online 0-2,4-7; cpuset now 0-3");

    va_cpumask swap = mask("0-2,4-8");
    va_cpu_change_between(&all, &all, &swap, &swap, &c);
    CHECK(std::string(c.message) == "CPU 3 offline, CPU 8 online; online 0-2,4-8");
}

TEST_CASE("topology: the sim's hotplug behaves like the kernel", "[numa][topology][sim]")
{
    va_sim *s = nullptr;
    REQUIRE(va_sim_new("0-3", &s) == 0);
    const va_platform *p = va_sim_platform(s);
    REQUIRE(va_sim_spawn(s, 10, "vmm") == 0);
    va_cpumask m;
    REQUIRE(va_cpumask_parse("3", &m) == 0);
    REQUIRE(p->set_affinity(p, 10, &m) == 0);
    REQUIRE(va_sim_set_last_cpu(s, 10, 3) == 0);
    CHECK(va_sim_set_online(s, "") == VMACCEL_EINVAL);
    REQUIRE(va_sim_set_online(s, "0-2") == 0);
    REQUIRE(p->online_cpus(p, &m) == 0);
    CHECK(fmt(m) == "0-2");
    REQUIRE(p->get_affinity(p, 10, &m) == 0);
    CHECK(fmt(m) == "0-3"); // fallback: the cpuset, offline CPU included
    REQUIRE(p->cpuset_of(p, 10, &m) == 0);
    CHECK(fmt(m) == "0-2"); // effective: online CPUs only
    REQUIRE(va_cpumask_parse("3", &m) == 0);
    CHECK(p->set_affinity(p, 10, &m) == VMACCEL_EINVAL);
    REQUIRE(va_sim_set_own_cpuset(s, "1-3") == 0);
    REQUIRE(p->allowed_cpus(p, &m) == 0);
    CHECK(fmt(m) == "1-2");
    REQUIRE(va_platform_usable_cpus(p, &m) == 0);
    CHECK(fmt(m) == "1-2");
    va_sim_free(s);
}

TEST_CASE("topology: re-plan without a usable CPU fails with ENOENT", "[numa][topology][errors]")
{
    Host h;
    va_cpumask none;
    va_cpumask_zero(&none);
    va_replan_result r;
    CHECK(va_vm_replan_unusable(h.vm, &none, false, &r) == VMACCEL_ENOENT);
    CHECK(r.affected == 2);
    CHECK(r.moved == 0);
    CHECK(h.affinity(0) == std::to_string(h.planned(0)));
}

TEST_CASE("topology: the engine's own loop sees a CPU go offline", "[numa][topology][loop]")
{
    Host h;
    int cpu = h.planned(1);
    vmaccel_numa_options no = VMACCEL_NUMA_OPTIONS_INIT;
    no.interval_ms = 5;
    REQUIRE(vmaccel_manager_configure_numa(h.m, &no) == 0);
    REQUIRE(vmaccel_manager_start(h.m) == 0);
    REQUIRE(va_sim_set_online(h.sim, Host::all_but(cpu).c_str()) == 0);
    std::vector<int> seen;
    for (int i = 0; i < 500 && std::find(seen.begin(), seen.end(),
                                         VMACCEL_EVENT_REBALANCE_APPLIED) == seen.end(); i++) {
        vmaccel_buf b = {nullptr, 0};
        int rc = vmaccel_event_next(h.m, 10, &b);
        CHECK(h.info(0).planned_cpu >= 0); // read while the loop may act
        if (rc != 0)
            continue;
        auto *ev = vmaccel__v1__event__unpack(nullptr, b.len, b.data);
        REQUIRE(ev != nullptr);
        seen.push_back(ev->type);
        vmaccel__v1__event__free_unpacked(ev, nullptr);
        vmaccel_buf_free(&b);
    }
    REQUIRE(vmaccel_manager_stop(h.m) == 0);
    CHECK(std::find(seen.begin(), seen.end(), VMACCEL_EVENT_TOPOLOGY_CHANGED) != seen.end());
    CHECK(std::find(seen.begin(), seen.end(), VMACCEL_EVENT_REBALANCE_APPLIED) != seen.end());
    CHECK(h.planned(1) != cpu);
}
