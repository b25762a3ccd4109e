// VMs through the public API on the real kernel: this test process plays
// the VMM, with threads named like QEMU's vCPU threads. Affinity is read
// back with sched_getaffinity, independently of the library.
#include <catch2/catch.hpp>

#include "shim.h"

#include <atomic>
#include <pthread.h>
#include <sched.h>
#include <string>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace {

// A thread named `name` that parks until told to exit.
struct FakeVcpu {
    std::string name;
    pthread_t th{};
    std::atomic<int> tid{0};
    std::atomic<bool> stop{false};
    static void *main(void *arg)
    {
        auto *self = static_cast<FakeVcpu *>(arg);
        pthread_setname_np(pthread_self(), self->name.c_str());
        self->tid = (int)syscall(SYS_gettid);
        while (!self->stop)
            usleep(1000);
        return nullptr;
    }
    explicit FakeVcpu(std::string n) : name(std::move(n))
    {
        REQUIRE(pthread_create(&th, nullptr, main, this) == 0);
        while (!tid)
            usleep(100);
    }
    void exit()
    {
        if (!stop.exchange(true))
            pthread_join(th, nullptr);
    }
    ~FakeVcpu() { exit(); }
};

std::vector<std::unique_ptr<FakeVcpu>> qemu_threads(int n)
{
    std::vector<std::unique_ptr<FakeVcpu>> v;
    for (int i = 0; i < n; i++)
        v.emplace_back(new FakeVcpu("CPU " + std::to_string(i) + "/KVM"));
    return v;
}

std::string affinity(int tid)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    REQUIRE(sched_getaffinity(tid, sizeof set, &set) == 0);
    std::string s;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set))
            s += (s.empty() ? "" : ",") + std::to_string(c);
    return s;
}

// A manager on the live host whose usable CPUs are `allowed`.
vmaccel_manager *manager(const char *allowed)
{
    vmaccel_topology_options t = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    t.allowed_cpus = allowed;
    vmaccel_manager_options o = VMACCEL_MANAGER_OPTIONS_INIT;
    o.topology = &t;
    vmaccel_manager *m = nullptr;
    REQUIRE(vmaccel_manager_new(&o, &m) == 0);
    return m;
}

vmaccel_vcpu_info vcpu(vmaccel_vm *vm, unsigned i)
{
    vmaccel_vcpu_info info = VMACCEL_VCPU_INFO_INIT;
    REQUIRE(vmaccel_vm_vcpu(vm, i, &info) == 0);
    return info;
}

} // namespace

TEST_CASE("attach finds this process's QEMU-named threads and pins them", "[vm]")
{
    auto threads = qemu_threads(2);
    std::string before = affinity(threads[0]->tid);
    vmaccel_manager *m = manager("0-1");
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(m, getpid(), nullptr, &vm) == 0);
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    REQUIRE(vmaccel_vm_info_get(vm, &info) == 0);
    CHECK(info.vcpu_count == 2);
    CHECK(info.vmm == VMACCEL_VMM_QEMU);
    CHECK(info.id >= 1);
    for (unsigned i = 0; i < 2; i++)
        CHECK(vcpu(vm, i).tid == threads[i]->tid);
    REQUIRE(vmaccel_vm_configure_affinity(vm, 0, VMACCEL_STRATEGY_LOCAL_FIRST) == 0);
    for (unsigned i = 0; i < 2; i++) {
        vmaccel_vcpu_info v = vcpu(vm, i);
        CHECK(affinity(v.tid) == std::to_string(v.planned_cpu));
        unsigned cpus[8];
        size_t n = 0;
        REQUIRE(vmaccel_vm_vcpu_allowed_cpus(vm, i, cpus, 8, &n) == 0);
        CHECK(n == 1);
        CHECK(int(cpus[0]) == v.planned_cpu);
    }
    CHECK(vcpu(vm, 0).planned_cpu != vcpu(vm, 1).planned_cpu);
    REQUIRE(vmaccel_vm_restore_affinity(vm) == 0);
    CHECK(affinity(threads[0]->tid) == before);
    vmaccel_vm_detach(vm);
    vmaccel_manager_free(m);
}

TEST_CASE("fault: a vCPU thread exits between discovery and pinning", "[vm][faults]")
{
    auto threads = qemu_threads(3);
    vmaccel_manager *m = manager("0-1");
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(m, getpid(), nullptr, &vm) == 0);
    threads[1]->exit(); // the kernel reaps the thread: its tid is gone
    CHECK(vmaccel_vm_configure_affinity(vm, 0, VMACCEL_STRATEGY_LOAD_BALANCED) ==
          VMACCEL_EGONE);
    CHECK(std::string(vmaccel_error_last()).find("1 of 3") != std::string::npos);
    CHECK(vcpu(vm, 1).result == VMACCEL_EGONE);
    CHECK(vcpu(vm, 1).gone == 1);
    for (unsigned i : {0u, 2u}) {
        CHECK(vcpu(vm, i).result == 0);
        CHECK(affinity(threads[i]->tid) == std::to_string(vcpu(vm, i).planned_cpu));
    }
    CHECK(vmaccel_vm_refresh(vm) == 0);
    REQUIRE(vmaccel_vm_restore_affinity(vm) == 0);
    vmaccel_vm_detach(vm);
    vmaccel_manager_free(m);
}

TEST_CASE("fault: a cpuset that forbids a CPU", "[vm][faults]")
{
    // The usable set is CPU 0 only: every vCPU goes there.
    auto threads = qemu_threads(2);
    vmaccel_manager *m = manager("0");
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(m, getpid(), nullptr, &vm) == 0);
    REQUIRE(vmaccel_vm_configure_affinity(vm, 0, VMACCEL_STRATEGY_LOAD_BALANCED) == 0);
    for (unsigned i = 0; i < 2; i++)
        CHECK(affinity(threads[i]->tid) == "0");
    REQUIRE(vmaccel_vm_restore_affinity(vm) == 0);
    // Reserving the only usable CPU leaves nothing: an error, no change.
    vmaccel_pin_options o = VMACCEL_PIN_OPTIONS_INIT;
    o.reserved_cpus = "0";
    CHECK(vmaccel_vm_pin(vm, &o) == VMACCEL_ENOENT);
    vmaccel_vm_detach(vm);
    vmaccel_manager_free(m);
}

TEST_CASE("register an in-process VM with explicit threads and memory", "[vm]")
{
    auto threads = qemu_threads(2);
    static char ram[1 << 16];
    int tids[2] = {threads[1]->tid, threads[0]->tid}; // any order the host likes
    vmaccel_mem_range mem = {(uint64_t)(uintptr_t)ram, sizeof ram};
    vmaccel_vm_options o = VMACCEL_VM_OPTIONS_INIT;
    o.name = "inproc";
    o.vcpu_tids = tids;
    o.nvcpu_tids = 2;
    o.memory = &mem;
    o.nmemory = 1;
    vmaccel_manager *m = manager("0-1");
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_register(m, &o, &vm) == 0);
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    REQUIRE(vmaccel_vm_info_get(vm, &info) == 0);
    CHECK(info.in_process == 1);
    CHECK(info.vmm == VMACCEL_VMM_EXPLICIT);
    CHECK(std::string(info.name) == "inproc");
    CHECK(info.memory_bytes == sizeof ram);
    CHECK(vcpu(vm, 0).tid == threads[1]->tid);
    vmaccel_pin_options po = VMACCEL_PIN_OPTIONS_INIT;
    po.dry_run = 1;
    REQUIRE(vmaccel_vm_pin(vm, &po) == 0);
    CHECK(vcpu(vm, 0).planned_cpu >= 0);
    CHECK(vcpu(vm, 0).pinned == 0);
    vmaccel_vm_detach(vm);
    vmaccel_manager_free(m);
}

TEST_CASE("bad arguments and freed handles are errors", "[vm]")
{
    vmaccel_manager *m = manager("0-1");
    vmaccel_vm *vm = nullptr;
    CHECK(vmaccel_vm_attach_pid(m, 0, nullptr, &vm) == VMACCEL_EINVAL);
    CHECK(vmaccel_vm_attach_pid(m, getpid(), nullptr, nullptr) == VMACCEL_EINVAL);
    CHECK(vmaccel_vm_attach_pid(nullptr, getpid(), nullptr, &vm) == VMACCEL_EINVAL);
    vmaccel_vm_options bad = VMACCEL_VM_OPTIONS_INIT;
    bad.version = 99;
    CHECK(vmaccel_vm_attach_pid(m, getpid(), &bad, &vm) == VMACCEL_EINVAL);
    vmaccel_vm_options none = VMACCEL_VM_OPTIONS_INIT;
    CHECK(vmaccel_vm_register(m, &none, &vm) == VMACCEL_EINVAL); // no tids
    int foreign[1] = {1}; // init's main thread is not ours
    none.vcpu_tids = foreign;
    none.nvcpu_tids = 1;
    CHECK(vmaccel_vm_register(m, &none, &vm) == VMACCEL_EINVAL);
    auto threads = qemu_threads(1);
    REQUIRE(vmaccel_vm_attach_pid(m, getpid(), nullptr, &vm) == 0);
    vmaccel_vcpu_info info = VMACCEL_VCPU_INFO_INIT;
    CHECK(vmaccel_vm_vcpu(vm, 5, &info) == VMACCEL_ERANGE);
    CHECK(vmaccel_vm_configure_affinity(vm, 2, VMACCEL_STRATEGY_LOCAL_FIRST) ==
          VMACCEL_EINVAL);
    CHECK(vmaccel_vm_configure_affinity(vm, 1, (vmaccel_strategy)42) == VMACCEL_EINVAL);
    vmaccel_pin_options po = VMACCEL_PIN_OPTIONS_INIT;
    po.set_nice = 1;
    po.nice = 40;
    CHECK(vmaccel_vm_pin(vm, &po) == VMACCEL_ERANGE);
    vmaccel_vm_detach(vm);
    CHECK(vmaccel_vm_refresh(vm) == VMACCEL_EINVAL); // freed handle
    vmaccel_vm_detach(nullptr);
    vmaccel_manager_free(m);
}

TEST_CASE("fault: attaching at the open-file limit is VMACCEL_ENOMEM, the VMs attached stay",
          "[vm][faults]")
{
    auto threads = qemu_threads(1);
    vmaccel_manager *m = manager("0-1");
    struct rlimit saved;
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    // Room for a few pidfds above what is open now.
    int probe = dup(0);
    REQUIRE(probe >= 0);
    close(probe);
    struct rlimit low = {(rlim_t)probe + 4, saved.rlim_max};
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    std::vector<vmaccel_vm *> vms;
    int rc = 0;
    std::string why;
    for (int i = 0; i < 64 && rc == 0; i++) {
        vmaccel_vm *vm = nullptr;
        rc = vmaccel_vm_attach_pid(m, getpid(), nullptr, &vm);
        if (rc == 0)
            vms.push_back(vm);
        else
            why = vmaccel_error_last();
    }
    REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
    CHECK(rc == VMACCEL_ENOMEM);
    CHECK(why.find("Too many open files") != std::string::npos);
    CHECK(!vms.empty());
    for (vmaccel_vm *vm : vms) {
        CHECK(vmaccel_vm_refresh(vm) == 0);
        vmaccel_vm_detach(vm);
    }
    vmaccel_manager_free(m);
}

TEST_CASE("300 VMs attached at once: every VM_ATTACHED event is queued, none dropped",
          "[vm][scale]")
{
    auto threads = qemu_threads(1);
    int tid = threads[0]->tid;
    vmaccel_manager *m = manager("0-1");
    std::vector<vmaccel_vm *> vms(300);
    for (auto &vm : vms) {
        vmaccel_vm_options o = VMACCEL_VM_OPTIONS_INIT;
        o.vcpu_tids = &tid;
        o.nvcpu_tids = 1;
        REQUIRE(vmaccel_vm_register(m, &o, &vm) == 0);
    }
    vmaccel_event_stats st = VMACCEL_EVENT_STATS_INIT;
    REQUIRE(vmaccel_event_stats_get(m, &st) == 0);
    CHECK(st.queue_dropped == 0);
    CHECK(st.queue_length == 300);
    CHECK(st.queue_capacity >= 4 * 300);
    unsigned attached = 0;
    vmaccel_buf ev = {};
    while (vmaccel_event_next(m, 0, &ev) == 0) {
        attached += std::string((const char *)ev.data, ev.len).find("attached") != std::string::npos;
        vmaccel_buf_free(&ev);
    }
    CHECK(attached == 300);
    for (vmaccel_vm *vm : vms)
        vmaccel_vm_detach(vm);
    vmaccel_manager_free(m);
}
