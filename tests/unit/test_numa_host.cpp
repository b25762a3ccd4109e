// The NUMA engine deciding for a whole simulated host: VMs competing for
// a node, a host with no room, a VM wider than a node, thousands of VMs,
// and faults in the middle of a period. What is checked is what the sim's
// page table and threads say, not what the engine believes.
#include "sim_host.hpp"

#include <cerrno>
#include <malloc.h>

TEST_CASE("host: two VMs competing for one node both end local, with true events",
          "[numa][host]")
{
    SimHost h(2, 2); // the guest: 2 CPUs per node
    h.add_vm(2, 0, 320, 1);
    h.add_vm(2, 0, 320, 1);
    h.enable();
    std::vector<SimHost::Ev> all;
    for (int t = 0; t < 6; t++) {
        h.tick();
        auto ev = h.events();
        all.insert(all.end(), ev.begin(), ev.end());
    }
    CHECK(h.true_rate(0) >= 0.9);
    CHECK(h.true_rate(1) >= 0.9);
    // Every APPLIED vCPU move names the node the sim has the vCPUs on.
    int moves = 0, migrations = 0;
    for (auto &e : all) {
        INFO(e.msg);
        CHECK(e.type != VMACCEL_EVENT_REBALANCE_FAILED);
        if (e.type != VMACCEL_EVENT_REBALANCE_APPLIED)
            continue;
        if (e.msg.find("vCPUs moved") != std::string::npos) {
            moves++;
            CHECK(e.msg.find("node 1") != std::string::npos);
            CHECK(e.msg.find("node 0") == std::string::npos);
        } else {
            migrations++;
            CHECK(e.msg.find("memory on node 0: 320 MiB moved") != std::string::npos);
        }
    }
    CHECK(moves == 1);
    CHECK(migrations == 1);
    // Fixed: nothing more for 40 periods (no ping-pong).
    for (int t = 0; t < 40; t++)
        h.tick();
    auto later = h.events();
    CHECK(SimHost::count(later, VMACCEL_EVENT_REBALANCE_PLANNED) == 0);
    CHECK(h.true_rate(0) >= 0.9);
    CHECK(h.true_rate(1) >= 0.9);
}

TEST_CASE("host: two VMs on each other's memory swap places", "[numa][host]")
{
    SimHost h(2, 2);
    h.add_vm(2, 0, 1024, 1);
    h.add_vm(2, 1, 1024, 0);
    h.enable();
    h.tick();
    auto ev = h.events();
    CHECK(SimHost::count(ev, VMACCEL_EVENT_REBALANCE_APPLIED) == 2);
    bool exchange = false;
    for (auto &e : ev)
        exchange |= e.msg.find("an exchange") != std::string::npos;
    CHECK(exchange);
    h.tick();
    CHECK(h.true_rate(0) == Approx(1.0));
    CHECK(h.true_rate(1) == Approx(1.0));
    uint64_t pages[2];
    REQUIRE(va_sim_count_pages(h.sim, h.vms[0].pid, 2, pages) == 0);
    CHECK(pages[1] == 1024 * 256); // nothing migrated: swapping was cheaper
}

TEST_CASE("host: a host with no room says so once, and changes nothing", "[numa][host]")
{
    // 3 CPUs and 512 MiB per node. A: 2 vCPUs on node 0, 240 MiB on node 1.
    // B fills node 1's CPUs and is well placed there; C fills node 0's CPUs
    // and memory (440 MiB). A can neither move nor migrate.
    SimHost h(2, 3, 512);
    h.add_vm(2, 0, 240, 1);
    h.add_vm(3, 1, 240, 1);
    h.add_vm(1, 0, 440, 0);
    h.enable();
    std::vector<SimHost::Ev> all;
    for (int t = 0; t < 8; t++) {
        h.tick();
        auto ev = h.events();
        all.insert(all.end(), ev.begin(), ev.end());
    }
    CHECK(SimHost::count(all, VMACCEL_EVENT_REBALANCE_PLANNED) == 0);
    CHECK(SimHost::count(all, VMACCEL_EVENT_REBALANCE_FAILED) == 0);
    REQUIRE(SimHost::count(all, VMACCEL_EVENT_REBALANCE_DEFERRED) == 1);
    for (auto &e : all)
        if (e.type == VMACCEL_EVENT_REBALANCE_DEFERRED) {
            INFO(e.msg);
            CHECK(e.vm == h.vms[0].vm->id);
            CHECK(e.msg.find("no room for its vCPUs on node 1") != std::string::npos);
            CHECK(e.msg.find("MiB free above its reserve") != std::string::npos);
        }
    CHECK(h.true_rate(0) == Approx(0.0));
    CHECK(va_sim_pages_moved(h.sim) == 0);
}

TEST_CASE("host: a guest with nothing resident is looked at less often, and not lost",
          "[numa][host]")
{
    SimHost h(2, 2);
    size_t vm = h.add_vm(2, 0, 256, VA_SIM_NOT_RESIDENT); // QEMU -S: nothing touched yet
    h.enable();
    h.tick();
    uint64_t per_sample = va_sim_page_queries(h.sim);
    REQUIRE(per_sample > 0);
    for (int t = 1; t < 32; t++)
        h.tick();
    // Sampled in periods 1, 3, 7, 15, 23 and 31 (every 1, 2, 4, then 8
    // periods), not in all 32: hundreds of paused guests stay cheap.
    uint64_t samples = va_sim_page_queries(h.sim) / per_sample;
    CHECK(samples >= 4);
    CHECK(samples <= 8);
    CHECK(SimHost::count(h.events(), VMACCEL_EVENT_REBALANCE_PLANNED) == 0);
    // The guest starts and faults its RAM in on the other node: found
    // within one slow period and fixed.
    REQUIRE(va_sim_place(h.sim, h.vms[vm].pid, h.vms[vm].base, h.vms[vm].bytes, 1) == 0);
    for (int t = 0; t < 16; t++)
        h.tick();
    CHECK(h.true_rate(vm) >= 0.9);
}

TEST_CASE("host: memory moved to a vCPU nobody pinned keeps the vCPU there: no chase",
          "[numa][host]")
{
    SimHost h(2, 2);
    h.add_vm(2, 1, 64, 1);                 // fills node 1, local
    size_t free_vm = h.add_vm(1, 0, 64, 1); // runs on node 0, memory on node 1
    h.set_affinity(h.vms[free_vm].tids[0], "0-3"); // nobody pinned it
    h.enable();
    std::vector<SimHost::Ev> all;
    for (int t = 0; t < 20; t++) {
        h.tick();
        h.roam(free_vm); // the guest's scheduler moves it wherever it may
        auto ev = h.events();
        all.insert(all.end(), ev.begin(), ev.end());
    }
    int migrations = 0, plans = 0;
    for (auto &e : all) {
        INFO(e.msg);
        CHECK(e.type != VMACCEL_EVENT_REBALANCE_FAILED);
        if (e.type == VMACCEL_EVENT_REBALANCE_PLANNED && e.vm == h.vms[free_vm].vm->id) {
            CHECK(e.msg.find("now kept there") != std::string::npos);
            plans++;
        }
        migrations += e.type == VMACCEL_EVENT_REBALANCE_APPLIED &&
                      e.msg.find("memory on node") != std::string::npos;
    }
    CHECK(migrations == 1); // once, not after every hop
    CHECK(plans == 1);      // and nothing to mend afterwards
    const va_platform *p = va_sim_platform(h.sim);
    va_cpumask mask;
    REQUIRE(p->get_affinity(p, h.vms[free_vm].tids[0], &mask) == 0);
    char list[64];
    va_cpumask_format(&mask, list, sizeof list);
    CHECK(std::string(list) == "0-1"); // the whole node: the scheduler balances within it
    CHECK(h.true_rate(free_vm) >= 0.9);
    CHECK(h.true_rate(0) >= 0.9);
}

TEST_CASE("host: a VM wider than a node spreads with its memory", "[numa][host]")
{
    // 4 vCPUs, nodes of 2 CPUs, 3/4 of the memory on node 1: half the
    // vCPUs go there, which is the best a VM without guest nodes can get.
    SimHost h(2, 2);
    h.add_vm(4, 0, 256, 0);
    REQUIRE(va_sim_place(h.sim, h.vms[0].pid, h.vms[0].base, 192ull << 20, 1) == 0);
    h.enable();
    for (int t = 0; t < 10; t++)
        h.tick();
    CHECK(h.true_rate(0) == Approx(0.5).margin(0.03));
    auto ev = h.events();
    CHECK(SimHost::count(ev, VMACCEL_EVENT_REBALANCE_APPLIED) == 1);
    CHECK(SimHost::count(ev, VMACCEL_EVENT_REBALANCE_DEFERRED) == 1);
    std::map<unsigned, int> per_node;
    for (int tid : h.vms[0].tids)
        per_node[h.node_of_cpu(h.last_cpu(tid))]++;
    CHECK(per_node[0] == 2);
    CHECK(per_node[1] == 2);
}

TEST_CASE("host: a node without memory is never a migration target", "[numa][host]")
{
    // The vCPUs run on node 1, which has no memory, and node 0's CPUs are
    // taken: the only fix would be to migrate there.
    SimHost h(2, 2);
    h.add_vm(2, 1, 64, 0);
    h.add_vm(2, 0, 64, 0);
    REQUIRE(va_sim_set_node_file(h.sim, 1, "meminfo",
                                 "Node 1 MemTotal: 0 kB\nNode 1 MemFree: 0 kB\n") == 0);
    h.enable();
    for (int t = 0; t < 4; t++)
        h.tick();
    auto ev = h.events();
    CHECK(SimHost::count(ev, VMACCEL_EVENT_REBALANCE_FAILED) == 0);
    CHECK(va_sim_pages_moved(h.sim) == 0);
    CHECK(SimHost::count(ev, VMACCEL_EVENT_REBALANCE_DEFERRED) == 1);
}

TEST_CASE("host: faults in the middle of a period", "[numa][host][faults]")
{
    SECTION("a vCPU thread exits as it is moved: FAILED, measured, no crash")
    {
        SimHost h(2, 4);
        h.add_vm(2, 0, 64, 1);
        h.enable();
        va_sim_on_action(
            h.sim, [](va_sim *s, int tid, void *) { va_sim_exit_thread(s, tid - tid % 100, tid); },
            nullptr);
        h.tick();
        va_sim_on_action(h.sim, nullptr, nullptr);
        auto ev = h.events();
        CHECK(SimHost::count(ev, VMACCEL_EVENT_REBALANCE_FAILED) == 1);
        CHECK(SimHost::count(ev, VMACCEL_EVENT_REBALANCE_APPLIED) == 0);
        for (int t = 0; t < 3; t++)
            h.tick(); // the VM with a vanished thread goes on being watched
    }
    SECTION("the VMM exits during its migration: reported, not retried")
    {
        SimHost h(2, 4);
        h.add_vm(2, 0, 1024, 1);
        vmaccel_numa_options o = VMACCEL_NUMA_OPTIONS_INIT;
        o.fix = VMACCEL_NUMA_FIX_MIGRATE_MEMORY;
        o.migrate_mb_per_s = 64; // 16 s for 1 GiB
        REQUIRE(vmaccel_manager_configure_numa(h.m, &o) == 0);
        REQUIRE(vmaccel_manager_enable_numa(h.m, 2) == 0);
        h.tick();
        h.tick();
        REQUIRE(va_sim_exit(h.sim, h.vms[0].pid) == 0);
        h.tick();
        h.tick();
        auto ev = h.events();
        bool told = false;
        for (auto &e : ev)
            told |= e.type == VMACCEL_EVENT_REBALANCE_FAILED &&
                    e.msg.find("exited during the migration") != std::string::npos;
        CHECK(told);
        CHECK(SimHost::count(ev, VMACCEL_EVENT_VM_GONE) == 1);
    }
    SECTION("the kernel refuses part of a migration: the rest moves, both counted")
    {
        SimHost h(2, 4);
        h.add_vm(2, 0, 64, 1);
        h.enable(VMACCEL_NUMA_FIX_MIGRATE_MEMORY);
        va_sim_fail_moves(h.sim, 3, EBUSY);
        h.tick();
        h.tick();
        auto ev = h.events();
        bool told = false;
        for (auto &e : ev)
            told |= e.type == VMACCEL_EVENT_REBALANCE_APPLIED &&
                    e.msg.find("could not move") != std::string::npos &&
                    e.msg.find("5461 pages could not move") != std::string::npos;
        CHECK(told);
    }
}

TEST_CASE("host: 5,000 VMs in one period, memory linear in VMs", "[numa][host][scale]")
{
    // 16 nodes of 64 CPUs, 2 vCPUs and 16 MiB per VM, every third VM's
    // memory on the next node. The nodes are overcommitted (a third of the
    // VMs cannot move), so those migrate: the budget lets all of it move
    // within a period, as the check below wants.
    auto engine_bytes_per_vm = [](int nvms) {
        SimHost h(16, 64);
        for (int i = 0; i < nvms; i++)
            h.add_vm(2, (unsigned)(i % 16), 16, (unsigned)((i + (i % 3 == 0)) % 16));
        vmaccel_numa_options o = VMACCEL_NUMA_OPTIONS_INIT;
        o.migrate_mb_per_s = 1u << 20;
        REQUIRE(vmaccel_manager_configure_numa(h.m, &o) == 0);
        REQUIRE(vmaccel_manager_enable_numa(h.m, 16) == 0);
        for (int t = 0; t < 3; t++)
            h.tick();
        h.events();
        size_t steady = mallinfo2().uordblks;
        double misplaced_after = 0;
        for (int i = 0; i < nvms; i += 3)
            misplaced_after += h.true_rate((size_t)i) < 0.9;
        CHECK(misplaced_after == 0);
        return (double)steady / nvms;
    };
    double small = engine_bytes_per_vm(1000), large = engine_bytes_per_vm(5000);
    INFO("bytes per VM (whole process heap): " << small << " at 1000 VMs, " << large
                                              << " at 5000");
    CHECK(large <= small * 1.25);
}

namespace {
// Pages of [start, start + bytes) of pid on `node`, asked like the kernel.
uint64_t pages_on(SimHost &h, int pid, uint64_t start, uint64_t bytes, int node)
{
    const va_platform *p = va_sim_platform(h.sim);
    uint64_t n = 0;
    std::vector<void *> pages(bytes / 4096);
    std::vector<int> status(pages.size());
    for (size_t i = 0; i < pages.size(); i++)
        pages[i] = (void *)(uintptr_t)(start + i * 4096);
    REQUIRE(p->move_pages(p, pid, pages.size(), pages.data(), nullptr, status.data()) == 0);
    for (int s : status)
        n += s == node;
    return n;
}
} // namespace

TEST_CASE("host: a VM's guest NUMA nodes are placed one by one", "[numa][host][clients]")
{
    // 4 vCPUs in two guest nodes (vCPUs 0-1 + 128 MiB, vCPUs 2-3 + 128 MiB),
    // all on host node 0, all memory on host node 1; nodes of 2 CPUs. The
    // VM as a whole cannot be local (it is wider than a node); node by node
    // it can: one guest node moves to its memory, the other keeps its CPUs
    // and takes its memory there.
    SimHost h(2, 2);
    size_t i = h.add_vm(4, 0, 128, 1);
    SimVm &v = h.vms[i];
    const uint64_t second = v.base + (1ull << 30);
    REQUIRE(va_sim_map(h.sim, v.pid, second, 128ull << 20, 1) == 0);
    unsigned c0[] = {0, 1}, c1[] = {2, 3};
    vmaccel_mem_range m0[] = {{v.base, 128ull << 20}}, m1[] = {{second, 128ull << 20}};
    vmaccel_numa_cell cells[2] = {VMACCEL_NUMA_CELL_INIT, VMACCEL_NUMA_CELL_INIT};
    cells[0].vcpus = c0, cells[0].nvcpus = 2, cells[0].memory = m0, cells[0].nmemory = 1;
    cells[1].vcpus = c1, cells[1].nvcpus = 2, cells[1].memory = m1, cells[1].nmemory = 1;
    REQUIRE(vmaccel_vm_set_numa_cells(v.vm, cells, 2) == 0);
    unsigned count = 0;
    char source[32];
    REQUIRE(vmaccel_vm_numa_cells(v.vm, &count, source, sizeof source) == 0);
    CHECK(count == 2);
    CHECK(std::string(source) == "API");
    h.enable();
    for (int t = 0; t < 4; t++)
        h.tick();
    // Each guest node's vCPUs sit on the host node holding its memory.
    uint64_t all = 128 * 256;
    for (int g = 0; g < 2; g++) {
        uint64_t start = g ? second : v.base;
        std::map<unsigned, int> nodes;
        for (int k = 0; k < 2; k++)
            nodes[h.node_of_cpu(h.last_cpu(v.tids[g * 2 + k]))]++;
        INFO("guest node " << g);
        REQUIRE(nodes.size() == 1);
        unsigned host = nodes.begin()->first;
        CHECK(pages_on(h, v.pid, start, 128ull << 20, (int)host) == all);
    }
    vmaccel_locality_info info = VMACCEL_LOCALITY_INFO_INIT;
    REQUIRE(vmaccel_vm_locality(v.vm, &info) == 0);
    CHECK(info.local_rate == Approx(1.0));
    CHECK(info.vcpu_moves == 1);
    CHECK(info.memory_migrations == 1);
}

TEST_CASE("host: bad guest NUMA nodes are refused and change nothing", "[numa][host][clients]")
{
    SimHost h(2, 2);
    size_t i = h.add_vm(2, 0, 64, 1);
    SimVm &v = h.vms[i];
    unsigned both[] = {0, 1}, one[] = {0}, bad[] = {7};
    vmaccel_mem_range r[] = {{v.base, 32ull << 20}}, r2[] = {{v.base + (16ull << 20), 32ull << 20}},
                      odd[] = {{v.base + 1, 4096}};
    vmaccel_numa_cell c[2] = {VMACCEL_NUMA_CELL_INIT, VMACCEL_NUMA_CELL_INIT};
    c[0].vcpus = one, c[0].nvcpus = 1, c[0].memory = r, c[0].nmemory = 1;
    CHECK(vmaccel_vm_set_numa_cells(v.vm, c, 1) == VMACCEL_EINVAL); // vCPU 1 in none
    c[0].vcpus = bad;
    CHECK(vmaccel_vm_set_numa_cells(v.vm, c, 1) == VMACCEL_EINVAL); // no vCPU 7
    c[0].vcpus = both, c[0].nvcpus = 2, c[0].memory = odd;
    CHECK(vmaccel_vm_set_numa_cells(v.vm, c, 1) == VMACCEL_EINVAL); // unaligned
    c[0].vcpus = one, c[0].nvcpus = 1, c[0].memory = r;
    c[1].vcpus = one + 0, c[1].nvcpus = 1, c[1].memory = r2, c[1].nmemory = 1;
    CHECK(vmaccel_vm_set_numa_cells(v.vm, c, 2) == VMACCEL_EINVAL); // vCPU 0 twice
    unsigned second[] = {1};
    c[1].vcpus = second;
    CHECK(vmaccel_vm_set_numa_cells(v.vm, c, 2) == VMACCEL_EINVAL); // ranges overlap
    c[0].version = 99;
    CHECK(vmaccel_vm_set_numa_cells(v.vm, c, 2) == VMACCEL_EINVAL);
    unsigned count = 9;
    REQUIRE(vmaccel_vm_numa_cells(v.vm, &count, nullptr, 0) == 0);
    CHECK(count == 0);
    CHECK(vmaccel_vm_set_numa_cells(nullptr, c, 1) == VMACCEL_EINVAL);
}

TEST_CASE("host: a VM's cpuset keeps its vCPUs off the memory's node", "[numa][host]")
{
    // The VM's cgroup allows node 0's CPUs only: its vCPUs cannot follow
    // its memory, so the memory comes to them.
    SimHost h(2, 2);
    size_t i = h.add_vm(2, 0, 64, 1);
    REQUIRE(va_sim_set_cpuset(h.sim, h.vms[i].pid, "0-1") == 0);
    h.enable();
    h.tick();
    h.tick();
    auto ev = h.events();
    for (auto &e : ev)
        if (e.type == VMACCEL_EVENT_REBALANCE_PLANNED) {
            INFO(e.msg);
            CHECK(e.msg.find("migrate") != std::string::npos);
        }
    CHECK(h.true_rate(i) == Approx(1.0));
    for (int tid : h.vms[i].tids)
        CHECK(h.node_of_cpu(h.last_cpu(tid)) == 0);
}
