// The sampler: /proc parsers against this kernel's files, and whole
// observations on the simulated host and on this very process.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sched.h>
#include <string>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

extern "C" {
#include "numa/sampler.h"
#include "platform/sim_numa.h"
#include "vmaccel/common.h"
}

namespace {

vmaccel_topology *synthetic(const char *desc)
{
    vmaccel_topology_options o = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    o.source = VMACCEL_TOPOLOGY_SYNTHETIC;
    o.synthetic = desc;
    vmaccel_topology *t = nullptr;
    REQUIRE(va_topology_build(&o, &t) == 0);
    return t;
}

std::string read_self(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/self/task/%ld/%s", (long)syscall(SYS_gettid), name);
    FILE *f = fopen(path, "r");
    REQUIRE(f != nullptr);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    return std::string(buf, n);
}

} // namespace

TEST_CASE("stat's processor field, even with a hostile comm", "[numa][sampler]")
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    cpu_set_t old;
    REQUIRE(sched_getaffinity(0, sizeof old, &old) == 0);
    REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
    CHECK(va_parse_stat_cpu(read_self("stat").c_str()) == 0);
    sched_setaffinity(0, sizeof old, &old);

    std::string tail;
    for (int f = 3; f <= 52; f++)
        tail += " " + std::to_string(f == 39 ? 7 : f);
    CHECK(va_parse_stat_cpu(("42 (CPU 0/KVM)" + tail).c_str()) == 7);
    CHECK(va_parse_stat_cpu(("42 (a) b (c))" + tail).c_str()) == 7);
    CHECK(va_parse_stat_cpu("42 (x) S 1 2") == -1);
    CHECK(va_parse_stat_cpu("garbage") == -1);
    CHECK(va_parse_stat_cpu("") == -1);
    CHECK(va_parse_stat_cpu("\xc7)") == -1); // fuzzer find: ')' last, read past the end
}

TEST_CASE("schedstat's runtime grows while a thread runs", "[numa][sampler]")
{
    uint64_t a = 0, b = 0;
    REQUIRE(va_parse_schedstat(read_self("schedstat").c_str(), &a) == 0);
    volatile uint64_t x = 0;
    for (int i = 0; i < 20000000; i++)
        x += i;
    REQUIRE(va_parse_schedstat(read_self("schedstat").c_str(), &b) == 0);
    CHECK(b > a);
    CHECK(va_parse_schedstat("-5 1 2", &a) == -1);
    CHECK(va_parse_schedstat("x", &a) == -1);
}

TEST_CASE("NUMA fault lines split into local and remote", "[numa][sampler]")
{
    vmaccel_topology *t = synthetic("numa:2 core:2 pu:1");
    const char *text =
        "CPU 0/KVM (4312, #threads: 5)\n"
        "total_numa_faults                            :                  120\n"
        "current_node=1, numa_group_id=0\n"
        "numa_faults node=0 task_private=30 task_shared=10 group_private=0 group_shared=0\n"
        "numa_faults node=1 task_private=70 task_shared=10 group_private=0 group_shared=0\n"
        "numa_faults node=9 task_private=500 task_shared=0 group_private=0 group_shared=0\n";
    bool have;
    uint64_t local, remote;
    REQUIRE(va_parse_sched_faults(text, t, &have, &local, &remote) == 0);
    CHECK(have);
    CHECK(local == 80);
    CHECK(remote == 40); // node 9 is not in the topology: ignored
    REQUIRE(va_parse_sched_faults("se.exec_start : 1.0\n", t, &have, &local, &remote) == 0);
    CHECK_FALSE(have);
    va_topology_destroy(t);
}

TEST_CASE("NUMA fault lines that are all zero are no counters: the sampler stops reading them",
          "[numa][sampler]")
{
    vmaccel_topology *t = synthetic("numa:2 core:2 pu:1");
    // What a kernel with NUMA balancing built in but switched off prints.
    const char *zero =
        "current_node=0, numa_group_id=0\n"
        "numa_faults node=0 task_private=0 task_shared=0 group_private=0 group_shared=0\n"
        "numa_faults node=1 task_private=0 task_shared=0 group_private=0 group_shared=0\n";
    bool have = true;
    uint64_t local = 1, remote = 1;
    REQUIRE(va_parse_sched_faults(zero, t, &have, &local, &remote) == 0);
    CHECK_FALSE(have);
    CHECK(local + remote == 0);

    va_sim *s = nullptr;
    REQUIRE(va_sim_new("0-3", &s) == 0);
    REQUIRE(va_sim_spawn(s, 100, "qemu") == 0);
    REQUIRE(va_sim_add_thread(s, 100, 101, "CPU 0/KVM") == 0);
    REQUIRE(va_sim_set_file(s, 100, 101, "sched", zero) == 0);
    int tids[1] = {101};
    va_sampler_input in = {va_sim_platform(s), t, 100, tids, 1, nullptr, 0, 0.02};
    va_sampler_state st;
    REQUIRE(va_sampler_state_init(&st, 1, 1) == 0);
    va_vcpu_obs v[1];
    va_sample_stats stats{};
    va_sample_vcpus(&in, &st, v, &stats);
    CHECK_FALSE(v[0].have_faults);
    CHECK(st.skip_faults == VA_SAMPLER_FAULT_RECHECK);
    va_sampler_state_release(&st);
    va_sim_free(s);
    va_topology_destroy(t);
}

TEST_CASE("sim: the sample sees the scripted placement within the bound", "[numa][sampler]")
{
    vmaccel_topology *t = synthetic("numa:2 core:2 pu:1");
    va_sim *s = nullptr;
    REQUIRE(va_sim_new("0-3", &s) == 0);
    REQUIRE(va_sim_spawn(s, 100, "qemu") == 0);
    REQUIRE(va_sim_add_thread(s, 100, 101, "CPU 0/KVM") == 0);
    REQUIRE(va_sim_add_thread(s, 100, 102, "CPU 1/KVM") == 0);
    const uint64_t base = 0x7f0000000000ull, bytes = 256ull << 20; // 65536 pages
    REQUIRE(va_sim_map(s, 100, base, bytes, 1) == 0);
    REQUIRE(va_sim_place(s, 100, base, bytes / 4, 0) == 0);       // 25% on node 0
    REQUIRE(va_sim_set_last_cpu(s, 101, 0) == 0);                  // node 0
    REQUIRE(va_sim_set_last_cpu(s, 102, 3) == 0);                  // node 1
    REQUIRE(va_sim_set_file(s, 100, 101, "schedstat", "1000 0 0\n") == 0);
    REQUIRE(va_sim_set_file(s, 100, 102, "schedstat", "5000 0 0\n") == 0);

    int tids[2] = {101, 102};
    va_sample_region region = {base, bytes};
    va_sampler_input in = {va_sim_platform(s), t, 100, tids, 2, &region, 1, 0.02};
    va_sampler_state st;
    REQUIRE(va_sampler_state_init(&st, 2, 1) == 0);
    va_vm_obs obs{};
    va_vcpu_obs v[2];
    va_sample_stats stats;
    REQUIRE(va_sampler_run(&in, &st, &obs, v, &stats) == 0);
    CHECK(stats.pages_total == 65536);
    // 25/75 needs less than the worst case (50/50) for the same bound.
    CHECK(stats.pages_sampled < va_sample_size(65536, 0.02, VA_Z_95));
    CHECK(stats.pages_sampled >= va_sample_size_pq(65536, 0.02, VA_Z_95, 0.25 * 0.75));
    CHECK(stats.error <= 0.02);
    CHECK(stats.pages_resident == stats.pages_sampled);
    double share0 = double(obs.pages_on_node[0]) / stats.pages_sampled;
    CHECK(std::fabs(share0 - 0.25) <= 0.02);
    CHECK(v[0].node == 0);
    CHECK(v[1].node == 1);
    CHECK(v[0].runtime_ns == 0); // first period: no delta yet

    REQUIRE(va_sim_set_file(s, 100, 101, "schedstat", "4000 0 0\n") == 0);
    REQUIRE(va_sim_set_file(s, 100, 102, "schedstat", "5000 0 0\n") == 0);
    REQUIRE(va_sim_exit_thread(s, 100, 102) == 0);
    REQUIRE(va_sampler_run(&in, &st, &obs, v, &stats) == 0);
    CHECK(v[0].runtime_ns == 3000);
    CHECK(v[1].node == -1); // gone
    CHECK(stats.vcpus_gone == 1);
    va_locality loc;
    REQUIRE(va_locality_compute(&obs, 0, &loc, nullptr));
    CHECK(std::fabs(loc.local_rate - 0.25) <= 0.02); // only vCPU 0 ran

    va_sampler_state_release(&st);
    va_sim_free(s);
    va_topology_destroy(t);
}

TEST_CASE("linux: sampling this process's own memory", "[numa][sampler]")
{
    vmaccel_topology *t = nullptr;
    REQUIRE(va_topology_build(nullptr, &t) == 0);
    const size_t pages = 20000;
    auto *buf = static_cast<unsigned char *>(
        mmap(nullptr, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    REQUIRE(buf != MAP_FAILED);
    for (size_t i = 0; i < pages / 2; i++) // half resident
        buf[i * 4096] = 1;
    int tid = (int)syscall(SYS_gettid);
    va_sample_region region = {(uint64_t)(uintptr_t)buf, pages * 4096};
    va_sampler_input in = {va_platform_linux(), t, getpid(), &tid, 1, &region, 1, 0.02};
    va_sampler_state st;
    REQUIRE(va_sampler_state_init(&st, 1, 99) == 0);
    va_vm_obs obs{};
    va_vcpu_obs v[1];
    va_sample_stats stats;
    REQUIRE(va_sampler_run(&in, &st, &obs, v, &stats) == 0);
    double resident = double(stats.pages_resident) / stats.pages_sampled;
    CHECK(std::fabs(resident - 0.5) <= 0.02);
    CHECK(obs.pages_on_node[0] == stats.pages_resident); // one node here
    CHECK(v[0].node == 0);
    va_sampler_state_release(&st);
    munmap(buf, pages * 4096);

    in.pid = 999999999; // no such process
    REQUIRE(va_sampler_state_init(&st, 1, 1) == 0);
    CHECK(va_sampler_run(&in, &st, &obs, v, &stats) == VMACCEL_EGONE);
    va_sampler_state_release(&st);
    va_topology_destroy(t);
}
