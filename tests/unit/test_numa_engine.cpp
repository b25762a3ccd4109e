// The NUMA engine end to end on the simulated host: a misplaced VM is
// detected and fixed, with events, by moving vCPUs or migrating memory.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "numa/engine.h"
#include "platform/sim_numa.h"
#include "vmm/vm_internal.h"
#include "vmaccel/vmaccel.h"
}

namespace {

const uint64_t RAM = 0x7f0000000000ull, RAM_BYTES = 64ull << 20; // 16384 pages

// Node 0: CPUs 0-3, node 1: CPUs 4-7. A VM whose 2 vCPUs run on node 0
// while all its RAM sits on node 1.
struct Host {
    va_sim *sim = nullptr;
    vmaccel_manager *m = nullptr;
    vmaccel_vm *vm = nullptr;
    uint64_t runtime = 0;

    Host()
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
        REQUIRE(va_sim_add_thread(sim, 100, 101, "CPU 0/KVM") == 0);
        REQUIRE(va_sim_add_thread(sim, 100, 102, "CPU 1/KVM") == 0);
        REQUIRE(va_sim_map(sim, 100, RAM, RAM_BYTES, 1) == 0);
        REQUIRE(va_sim_set_last_cpu(sim, 101, 0) == 0);
        REQUIRE(va_sim_set_last_cpu(sim, 102, 1) == 0);
        REQUIRE(vmaccel_vm_attach_pid(m, 100, nullptr, &vm) == 0);
        REQUIRE(vmaccel_manager_enable_numa(m, 2) == 0);
    }
    ~Host()
    {
        vmaccel_manager_free(m);
        va_sim_free(sim);
    }
    void configure(vmaccel_numa_fix fix, bool dry = false)
    {
        vmaccel_numa_options o = VMACCEL_NUMA_OPTIONS_INIT;
        o.fix = fix;
        o.dry_run = dry;
        REQUIRE(vmaccel_manager_configure_numa(m, &o) == 0);
    }
    // One period: the vCPUs ran 10 ms each; like the scheduler, each
    // vCPU runs on the first CPU its affinity allows.
    void tick()
    {
        runtime += 10000000;
        for (int tid : {101, 102}) {
            std::string ss = std::to_string(runtime) + " 0 0\n";
            REQUIRE(va_sim_set_file(sim, 100, tid, "schedstat", ss.c_str()) == 0);
            va_cpumask mask;
            const va_platform *p = va_sim_platform(sim);
            REQUIRE(p->get_affinity(p, tid, &mask) == 0);
            for (int cpu = 0; cpu < 8; cpu++)
                if (va_cpumask_isset(&mask, cpu)) {
                    int already = 0; // keep the scripted CPU while it is allowed
                    char *stat = nullptr;
                    size_t len;
                    REQUIRE(p->read_proc(p, 100, tid, "stat", &stat, &len) == 0);
                    int cur = va_parse_stat_cpu(stat);
                    free(stat);
                    already = cur >= 0 && va_cpumask_isset(&mask, cur);
                    if (!already)
                        REQUIRE(va_sim_set_last_cpu(sim, tid, cpu) == 0);
                    break;
                }
        }
        va_sim_advance(sim, 1000000000ull);
        REQUIRE(vmaccel_manager_numa_tick(m) == 0);
    }
    std::vector<int> events(std::vector<std::string> *messages = nullptr)
    {
        std::vector<int> types;
        vmaccel_buf b = {nullptr, 0};
        while (vmaccel_event_next(m, 0, &b) == 0) {
            auto *ev = vmaccel__v1__event__unpack(nullptr, b.len, b.data);
            REQUIRE(ev != nullptr);
            types.push_back(ev->type);
            if (messages)
                messages->push_back(ev->message);
            vmaccel__v1__event__free_unpacked(ev, nullptr);
            vmaccel_buf_free(&b);
        }
        return types;
    }
    vmaccel_locality_info locality()
    {
        vmaccel_locality_info info = VMACCEL_LOCALITY_INFO_INIT;
        REQUIRE(vmaccel_vm_locality(vm, &info) == 0);
        return info;
    }
    int count(const std::vector<int> &ev, int type)
    {
        return (int)std::count(ev.begin(), ev.end(), type);
    }
};

} // namespace

TEST_CASE("engine: a misplaced VM gets its vCPUs moved to its memory", "[numa][engine]")
{
    Host h;
    h.configure(VMACCEL_NUMA_FIX_CHEAPER);
    h.events(); // drop VM_ATTACHED
    // 0% local, measured to +-2 pp: clearly misplaced, fixed in the first
    // period it is seen. 2 vCPUs (16 MiB-equivalent) < 64 MiB of RAM.
    h.tick();
    CHECK(h.locality().local_rate == Approx(0.0));
    CHECK(h.locality().source == VMACCEL_LOCALITY_PAGE_PLACEMENT);
    auto ev = h.events();
    CHECK(h.count(ev, VMACCEL_EVENT_LOCALITY_CHANGED) == 1);
    CHECK(h.count(ev, VMACCEL_EVENT_REBALANCE_PLANNED) == 1);
    CHECK(h.count(ev, VMACCEL_EVENT_REBALANCE_APPLIED) == 1);
    CHECK(h.locality().vcpu_moves == 1);
    h.tick();
    CHECK(h.locality().local_rate == Approx(1.0));
    ev = h.events();
    CHECK(h.count(ev, VMACCEL_EVENT_LOCALITY_CHANGED) == 1);
    for (int i = 0; i < 20; i++)
        h.tick();
    CHECK(h.count(h.events(), VMACCEL_EVENT_REBALANCE_PLANNED) == 0); // fixed: quiet
}

TEST_CASE("engine: a borderline VM waits for three low periods", "[numa][engine]")
{
    Host h;
    h.configure(VMACCEL_NUMA_FIX_CHEAPER);
    // 60% local: below the threshold, but not clearly misplaced.
    REQUIRE(va_sim_place(h.sim, 100, RAM, RAM_BYTES * 6 / 10, 0) == 0);
    h.events();
    h.tick();
    h.tick();
    CHECK(h.count(h.events(), VMACCEL_EVENT_REBALANCE_PLANNED) == 0);
    h.tick();
    auto ev = h.events();
    CHECK(h.count(ev, VMACCEL_EVENT_REBALANCE_PLANNED) == 1);
}

TEST_CASE("engine: memory migrates to the vCPUs when told to", "[numa][engine]")
{
    Host h;
    h.configure(VMACCEL_NUMA_FIX_MIGRATE_MEMORY);
    for (int i = 0; i < 3; i++)
        h.tick();
    uint64_t pages[2];
    REQUIRE(va_sim_count_pages(h.sim, 100, 2, pages) == 0);
    CHECK(pages[0] == RAM_BYTES / 4096); // 64 MiB within one 256 MiB/s burst
    CHECK(pages[1] == 0);
    auto ev = h.events();
    CHECK(h.count(ev, VMACCEL_EVENT_REBALANCE_APPLIED) == 1);
    CHECK(h.locality().memory_migrations == 1);
    CHECK(h.locality().pages_migrated == RAM_BYTES / 4096);
    h.tick();
    CHECK(h.locality().local_rate == Approx(1.0));
}

TEST_CASE("engine: with migrate_stop_vcpus the vCPUs pause while each window moves",
          "[numa][engine]")
{
    Host h;
    vmaccel_numa_options o = VMACCEL_NUMA_OPTIONS_INIT;
    o.fix = VMACCEL_NUMA_FIX_MIGRATE_MEMORY;
    o.migrate_stop_vcpus = 1;
    REQUIRE(vmaccel_manager_configure_numa(h.m, &o) == 0);
    for (int i = 0; i < 3; i++)
        h.tick();
    CHECK(va_sim_pages_moved_stopped(h.sim) == RAM_BYTES / 4096);
    for (int tid : {101, 102}) {
        unsigned stops = 0;
        bool now = true;
        REQUIRE(va_sim_thread_stops(h.sim, tid, &stops, &now) == 0);
        CHECK(stops == 4); // 64 MiB: four 16 MiB windows
        CHECK_FALSE(now);
    }
    std::vector<std::string> messages;
    auto ev = h.events(&messages);
    REQUIRE(h.count(ev, VMACCEL_EVENT_REBALANCE_APPLIED) == 1);
    auto applied = std::find_if(messages.begin(), messages.end(), [](const std::string &s) {
        return s.find("MiB moved") != std::string::npos;
    });
    REQUIRE(applied != messages.end());
    CHECK(applied->find("its vCPUs paused 4 time(s) while 4 window(s) moved") != std::string::npos);
}

TEST_CASE("engine: vCPUs that cannot pause run on, and the event says why", "[numa][engine]")
{
    Host h;
    vmaccel_numa_options o = VMACCEL_NUMA_OPTIONS_INIT;
    o.fix = VMACCEL_NUMA_FIX_MIGRATE_MEMORY;
    o.migrate_stop_vcpus = 1;
    REQUIRE(vmaccel_manager_configure_numa(h.m, &o) == 0);
    va_sim_deny(h.sim, VA_SIM_THREAD_STOP, VMACCEL_EPERM);
    for (int i = 0; i < 3; i++)
        h.tick();
    uint64_t pages[2];
    REQUIRE(va_sim_count_pages(h.sim, 100, 2, pages) == 0);
    CHECK(pages[0] == RAM_BYTES / 4096); // moved all the same
    CHECK(va_sim_pages_moved_stopped(h.sim) == 0);
    std::vector<std::string> messages;
    h.events(&messages);
    bool told = false;
    for (const auto &s : messages)
        told = told || s.find("its vCPUs ran on (stopping them failed: ptrace") != std::string::npos;
    CHECK(told);
}

TEST_CASE("engine: partial migration failures are reported, total ones fail", "[numa][engine]")
{
    SECTION("every other page busy")
    {
        Host h;
        h.configure(VMACCEL_NUMA_FIX_MIGRATE_MEMORY);
        va_sim_fail_moves(h.sim, 2, EBUSY);
        for (int i = 0; i < 3; i++)
            h.tick();
        CHECK(h.locality().pages_migrated == RAM_BYTES / 4096 / 2);
        CHECK(h.count(h.events(), VMACCEL_EVENT_REBALANCE_APPLIED) == 1);
    }
    SECTION("target node full")
    {
        Host h;
        h.configure(VMACCEL_NUMA_FIX_MIGRATE_MEMORY);
        va_sim_fail_moves(h.sim, 1, ENOMEM);
        for (int i = 0; i < 3; i++)
            h.tick();
        CHECK(h.count(h.events(), VMACCEL_EVENT_REBALANCE_FAILED) == 1);
        CHECK(h.locality().failures == 1);
        CHECK(h.locality().pages_migrated == 0);
    }
}

TEST_CASE("engine: dry run decides and changes nothing", "[numa][engine]")
{
    Host h;
    h.configure(VMACCEL_NUMA_FIX_CHEAPER, true);
    for (int i = 0; i < 3; i++)
        h.tick();
    auto ev = h.events();
    CHECK(h.count(ev, VMACCEL_EVENT_REBALANCE_PLANNED) == 1);
    CHECK(h.count(ev, VMACCEL_EVENT_REBALANCE_APPLIED) == 0);
    uint64_t pages[2];
    REQUIRE(va_sim_count_pages(h.sim, 100, 2, pages) == 0);
    CHECK(pages[1] == RAM_BYTES / 4096);
    CHECK(h.locality().vcpu_moves == 0);
}

TEST_CASE("engine: the VMM exiting is an event, not a crash", "[numa][engine]")
{
    Host h;
    h.tick();
    REQUIRE(va_sim_exit(h.sim, 100) == 0);
    h.runtime += 1;
    REQUIRE(vmaccel_manager_numa_tick(h.m) == 0);
    REQUIRE(vmaccel_manager_numa_tick(h.m) == 0);
    CHECK(h.count(h.events(), VMACCEL_EVENT_VM_GONE) == 1);
}

TEST_CASE("engine: the report carries locality", "[numa][engine][report]")
{
    Host h;
    h.tick();
    vmaccel_buf b = {nullptr, 0};
    REQUIRE(vmaccel_manager_report(h.m, VMACCEL_FORMAT_PROTOBUF, &b) == 0);
    auto *r = vmaccel__v1__diagnostic_report__unpack(nullptr, b.len, b.data);
    REQUIRE(r != nullptr);
    REQUIRE(r->n_locality == 1);
    CHECK(std::string(r->locality[0]->source) == "page_placement");
    CHECK(r->locality[0]->n_pages_per_node == 2);
    CHECK(r->locality[0]->pages_per_node[1] > 0);
    vmaccel__v1__diagnostic_report__free_unpacked(r, nullptr);
    vmaccel_buf_free(&b);
}

TEST_CASE("engine: options and state are checked", "[numa][engine][errors]")
{
    Host h;
    vmaccel_numa_options o = VMACCEL_NUMA_OPTIONS_INIT;
    o.threshold = 1.5;
    CHECK(vmaccel_manager_configure_numa(h.m, &o) == VMACCEL_EINVAL);
    o = VMACCEL_NUMA_OPTIONS_INIT;
    o.version = 7;
    CHECK(vmaccel_manager_configure_numa(h.m, &o) == VMACCEL_EINVAL);
    CHECK(vmaccel_manager_configure_numa(h.m, nullptr) == VMACCEL_EINVAL);
    o = VMACCEL_NUMA_OPTIONS_INIT;
    o.migrate_workers = 9;
    CHECK(vmaccel_manager_configure_numa(h.m, &o) == VMACCEL_EINVAL);
    // A caller built against version 1 passes the smaller struct: only
    // that much is read (the bytes after it here are garbage on purpose).
    unsigned char v1[sizeof(vmaccel_numa_options)];
    memset(v1, 0xff, sizeof v1);
    vmaccel_numa_options old = VMACCEL_NUMA_OPTIONS_INIT;
    old.version = 1;
    memcpy(v1, &old, VMACCEL_NUMA_OPTIONS_V1_SIZE);
    CHECK(vmaccel_manager_configure_numa(h.m, reinterpret_cast<vmaccel_numa_options *>(v1)) == 0);
    // And one built against version 3 (no migrate_stop_vcpus).
    memset(v1, 0xff, sizeof v1);
    old.version = 3;
    memcpy(v1, &old, VMACCEL_NUMA_OPTIONS_V3_SIZE);
    CHECK(vmaccel_manager_configure_numa(h.m, reinterpret_cast<vmaccel_numa_options *>(v1)) == 0);
    REQUIRE(vmaccel_manager_disable_numa(h.m) == 0);
    CHECK(vmaccel_manager_numa_tick(h.m) == VMACCEL_ESTATE);
    vmaccel_locality_info info = VMACCEL_LOCALITY_INFO_INIT;
    CHECK(vmaccel_vm_locality(h.vm, &info) == VMACCEL_ENOENT);
    info.version = 0;
    CHECK(vmaccel_vm_locality(h.vm, &info) == VMACCEL_EINVAL);
}

TEST_CASE("engine: a VM detached between periods leaves no state", "[numa][engine]")
{
    Host h;
    h.tick();
    vmaccel_vm_detach(h.vm);
    REQUIRE(vmaccel_manager_numa_tick(h.m) == 0);
    CHECK(h.m->numa->vms == nullptr);
}
