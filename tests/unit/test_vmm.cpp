// VM discovery, the pidfd guard and the applier on the simulated host, and
// the /proc parsers on texts laid out as proc(5) documents them.
#include <catch2/catch.hpp>

#include <sched.h>
#include <atomic>
#include <set>
#include <thread>
#include <string>

extern "C" {
#include "platform/sim.h"
#include "vmm/procfs.h"
#include "report/arena.h"
#include "vmm/vm_internal.h"
#include "vmm/vm_report.h"
}

#include "vmm_host.hpp"

TEST_CASE("vCPU thread names of QEMU, cloud-hypervisor, Firecracker, crosvm", "[vmm]")
{
    struct {
        const char *comm;
        bool match;
        vmaccel_vmm_kind kind;
        unsigned index;
    } cases[] = {
        {"CPU 0/KVM", true, VMACCEL_VMM_QEMU, 0},
        {"CPU 12/TCG", true, VMACCEL_VMM_QEMU, 12},
        {"CPU 3/HVF", true, VMACCEL_VMM_QEMU, 3},
        {"CPU 101/WHPX", true, VMACCEL_VMM_QEMU, 101},
        {"vcpu7", true, VMACCEL_VMM_CLOUD_HYPERVISOR, 7},
        {"fc_vcpu 2", true, VMACCEL_VMM_FIRECRACKER, 2},
        {"crosvm_vcpu15", true, VMACCEL_VMM_CROSVM, 15},
        {"CPU x/KVM", false, {}, 0},
        {"CPU 1/", false, {}, 0},
        {"CPU 1/KVM2", false, {}, 0},
        {"vcpu", false, {}, 0},
        {"vcpu-1", false, {}, 0},
        {"fc_vcpu3", false, {}, 0},
        {"crosvm_vcpu 1", false, {}, 0},
        {"qemu-system-x86", false, {}, 0},
        {"IO mon_iothread", false, {}, 0},
        {"vcpu12345", false, {}, 0},
    };
    for (auto &c : cases) {
        vmaccel_vmm_kind kind;
        unsigned index;
        INFO(c.comm);
        REQUIRE(va_vcpu_name_match(c.comm, &kind, &index) == c.match);
        if (c.match) {
            CHECK(kind == c.kind);
            CHECK(index == c.index);
        }
    }
}

TEST_CASE("stat fields after a comm holding spaces and parentheses", "[vmm]")
{
    // proc(5): field 22 starttime, 39 processor.
    const char *stat = "4242 (CPU 1) (x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 20 0 1 0 "
                       "987654 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 3 0 0\n";
    long long v = 0;
    REQUIRE(va_stat_field(stat, 22, &v) == 0);
    CHECK(v == 987654);
    REQUIRE(va_stat_field(stat, 39, &v) == 0);
    CHECK(v == 3);
    CHECK(va_stat_field(stat, 60, &v) == VMACCEL_EPARSE);
    CHECK(va_stat_field("garbage", 22, &v) == VMACCEL_EPARSE);
}

TEST_CASE("a QEMU VM is named by its -name option", "[vmm]")
{
    auto name = [](const std::string &cmdline) {
        char buf[64] = "untouched";
        bool found = va_qemu_guest_name(cmdline.data(), cmdline.size(), buf, sizeof buf);
        return found ? std::string(buf) : std::string("<none>");
    };
    using namespace std::string_literals;
    CHECK(name("qemu-system-x86_64\0-m\0512\0-name\0web1,debug-threads=on\0"s) == "web1");
    CHECK(name("qemu\0-name\0guest=db,process=qemu-db\0"s) == "db");
    CHECK(name("qemu\0-name\0process=p,guest=db2\0"s) == "db2");
    CHECK(name("qemu\0--name\0x\0"s) == "x");
    CHECK(name("qemu\0-name\0process=p\0"s) == "<none>"); // no guest name given
    CHECK(name("qemu\0-name\0"s) == "<none>");             // -name last
    CHECK(name("qemu\0-name\0unterminated"s) == "<none>"); // value cut off by len
    CHECK(name("qemu\0-m\0512\0"s) == "<none>");
    CHECK(name(""s) == "<none>");
    CHECK(name("qemu\0-name\0"s + std::string(200, 'a') + "\0"s).size() == 63);
}

TEST_CASE("guest RAM from /proc/PID/maps", "[vmm]")
{
    Host h;
    h.qemu(100, 2);
    // A QEMU-like layout: guest RAM 128 MiB anonymous rw, TCG's 1 GiB
    // code buffer rwx, the VGA RAM 16 MiB, heap, stack, a library.
    const char *maps =
        "55d0c0000000-55d0c0100000 r-xp 00000000 08:01 123 /usr/bin/qemu-system-x86_64\n"
        "55d0c2000000-55d0c2400000 rw-p 00000000 00:00 0 [heap]\n"
        "7f0000000000-7f0040000000 rwxp 00000000 00:00 0 \n"
        "7f1000000000-7f1008000000 rw-p 00000000 00:00 0 \n"
        "7f2000000000-7f2001000000 rw-p 00000000 00:00 0 \n"
        "7f3000000000-7f3000200000 r--p 00000000 08:01 456 /usr/lib/libc.so.6\n"
        "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n";
    REQUIRE(va_sim_set_file(h.sim, 100, 0, "maps", maps) == 0);
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(h.m, 100, nullptr, &vm) == 0);
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    REQUIRE(vmaccel_vm_info_get(vm, &info) == 0);
    CHECK(info.memory_regions == 1);
    CHECK(info.memory_bytes == 128ull << 20);
    vmaccel_memory_region_info r = VMACCEL_MEMORY_REGION_INFO_INIT;
    REQUIRE(vmaccel_vm_memory_region(vm, 0, &r) == 0);
    CHECK(r.start == 0x7f1000000000ull);
    vmaccel_vm_detach(vm);

    // memfd backends win over anonymous mappings.
    const char *backends =
        "7f1000000000-7f1008000000 rw-p 00000000 00:00 0 \n"
        "7f4000000000-7f4010000000 rw-s 00000000 00:01 77 /memfd:mem0 (deleted)\n"
        "7f5000000000-7f5010000000 rw-s 00000000 00:01 78 /memfd:mem1 (deleted)\n";
    REQUIRE(va_sim_set_file(h.sim, 100, 0, "maps", backends) == 0);
    REQUIRE(vmaccel_vm_attach_pid(h.m, 100, nullptr, &vm) == 0);
    REQUIRE(vmaccel_vm_info_get(vm, &info) == 0);
    CHECK(info.memory_regions == 2);
    CHECK(info.memory_bytes == 512ull << 20);
    REQUIRE(vmaccel_vm_memory_region(vm, 1, &r) == 0);
    CHECK(std::string(r.name) == "/memfd:mem1 (deleted)");
    vmaccel_vm_detach(vm);
}

TEST_CASE("attaching finds the vCPU threads in index order", "[vmm]")
{
    Host h;
    REQUIRE(va_sim_spawn(h.sim, 200, "cloud-hypervisor") == 0);
    for (int i : {2, 0, 1}) // created out of order
        REQUIRE(va_sim_add_thread(h.sim, 200, 210 + i, ("vcpu" + std::to_string(i)).c_str()) == 0);
    REQUIRE(va_sim_set_file(h.sim, 200, 0, "maps", "") == 0);
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(h.m, 200, nullptr, &vm) == 0);
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    REQUIRE(vmaccel_vm_info_get(vm, &info) == 0);
    CHECK(info.vmm == VMACCEL_VMM_CLOUD_HYPERVISOR);
    CHECK(info.vcpu_count == 3);
    CHECK(std::string(info.name) == "cloud-hyperviso"); // comm: 15 bytes
    for (unsigned i = 0; i < 3; i++)
        CHECK(vcpu(vm, i).tid == int(210 + i));
    vmaccel_vm_detach(vm);
}

TEST_CASE("attach errors: no vCPU, a gap, no process, a foreign tid", "[vmm]")
{
    Host h;
    vmaccel_vm *vm = nullptr;
    REQUIRE(va_sim_spawn(h.sim, 300, "python3") == 0);
    REQUIRE(va_sim_add_thread(h.sim, 300, 301, "worker") == 0);
    CHECK(vmaccel_vm_attach_pid(h.m, 300, nullptr, &vm) == VMACCEL_ENOENT);
    CHECK(std::string(vmaccel_error_last()).find("\"worker\"") != std::string::npos);
    REQUIRE(va_sim_add_thread(h.sim, 300, 302, "CPU 0/KVM") == 0);
    REQUIRE(va_sim_add_thread(h.sim, 300, 303, "CPU 2/KVM") == 0);
    CHECK(vmaccel_vm_attach_pid(h.m, 300, nullptr, &vm) == VMACCEL_EPARSE);
    CHECK(std::string(vmaccel_error_last()).find("vCPU 1 is missing") != std::string::npos);
    CHECK(vmaccel_vm_attach_pid(h.m, 999, nullptr, &vm) == VMACCEL_EGONE);
    CHECK(vmaccel_vm_attach_pid(h.m, -5, nullptr, &vm) == VMACCEL_EINVAL);
    int tids[] = {302, 777};
    vmaccel_vm_options o = VMACCEL_VM_OPTIONS_INIT;
    o.vcpu_tids = tids;
    o.nvcpu_tids = 2;
    CHECK(vmaccel_vm_attach_pid(h.m, 300, &o, &vm) == VMACCEL_EINVAL);
    CHECK(vm == nullptr);
}

TEST_CASE("pin sets each vCPU's affinity to its planned CPU, restore undoes it",
          "[vmm][applier]")
{
    Host h;
    h.qemu(100, 2);
    REQUIRE(va_sim_set_file(h.sim, 100, 0, "maps", "") == 0);
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(h.m, 100, nullptr, &vm) == 0);
    REQUIRE(vmaccel_vm_configure_affinity(vm, 0, VMACCEL_STRATEGY_LOCAL_FIRST) == 0);
    for (unsigned i = 0; i < 2; i++) {
        vmaccel_vcpu_info v = vcpu(vm, i);
        CHECK(v.result == 0);
        CHECK(v.pinned == 1);
        CHECK(v.planned_node == 0); // a 2-vCPU VM fits one node of 2 PUs
        CHECK(h.cpus(v.tid) == std::to_string(v.planned_cpu));
    }
    CHECK(vcpu(vm, 0).planned_cpu != vcpu(vm, 1).planned_cpu);
    CHECK(h.cpus(150) == "0-3"); // the I/O thread is not a vCPU
    REQUIRE(vmaccel_vm_restore_affinity(vm) == 0);
    CHECK(h.cpus(101) == "0-3");
    CHECK(h.cpus(102) == "0-3");
    CHECK(vcpu(vm, 0).pinned == 0);
    vmaccel_vm_detach(vm);
}

TEST_CASE("dry run plans but changes nothing", "[vmm][applier]")
{
    Host h;
    h.qemu(100, 3);
    REQUIRE(va_sim_set_file(h.sim, 100, 0, "maps", "") == 0);
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(h.m, 100, nullptr, &vm) == 0);
    vmaccel_pin_options o = VMACCEL_PIN_OPTIONS_INIT;
    o.dry_run = 1;
    o.set_nice = 1;
    o.nice = -5;
    REQUIRE(vmaccel_vm_pin(vm, &o) == 0);
    for (unsigned i = 0; i < 3; i++) {
        CHECK(vcpu(vm, i).planned_cpu >= 0);
        CHECK(vcpu(vm, i).pinned == 0);
        CHECK(h.cpus(101 + int(i)) == "0-3");
    }
    vmaccel_buf b{};
    CHECK(vmaccel_vm_affinity_state(vm, &b) == VMACCEL_ESTATE); // nothing saved
    vmaccel_vm_detach(vm);
}

TEST_CASE("priority: nice applied and restored, a refused SCHED_FIFO is reported",
          "[vmm][applier]")
{
    Host h;
    h.qemu(100, 2);
    REQUIRE(va_sim_set_file(h.sim, 100, 0, "maps", "") == 0);
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(h.m, 100, nullptr, &vm) == 0);
    const va_platform *p = va_sim_platform(h.sim);
    vmaccel_pin_options o = VMACCEL_PIN_OPTIONS_INIT;
    o.set_nice = 1;
    o.nice = -7;
    REQUIRE(vmaccel_vm_pin(vm, &o) == 0);
    int nice = 0;
    REQUIRE(p->get_nice(p, 101, &nice) == 0);
    CHECK(nice == -7);
    va_sim_deny(h.sim, VA_SIM_SET_SCHED, VMACCEL_EPERM);
    o.sched = VMACCEL_SCHED_FIFO;
    o.rt_priority = 10;
    CHECK(vmaccel_vm_pin(vm, &o) == VMACCEL_EPERM);
    CHECK(std::string(vmaccel_error_last()).find("2 of 2 vCPU threads failed") !=
          std::string::npos);
    CHECK(vcpu(vm, 0).result == VMACCEL_EPERM);
    CHECK(vcpu(vm, 0).pinned == 1); // the affinity went through
    va_sim_deny(h.sim, VA_SIM_SET_SCHED, 0);
    REQUIRE(vmaccel_vm_restore_affinity(vm) == 0);
    REQUIRE(p->get_nice(p, 101, &nice) == 0);
    CHECK(nice == 0);
    int pol = -1, prio = -1;
    REQUIRE(p->get_sched(p, 101, &pol, &prio) == 0);
    CHECK(pol == SCHED_OTHER);
    vmaccel_vm_detach(vm);
}

TEST_CASE("fault: a vCPU thread exits between discovery and pinning",
          "[vmm][applier][faults]")
{
    Host h;
    h.qemu(100, 3);
    REQUIRE(va_sim_set_file(h.sim, 100, 0, "maps", "") == 0);
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(h.m, 100, nullptr, &vm) == 0);
    REQUIRE(va_sim_exit_thread(h.sim, 100, 102) == 0); // vCPU 1
    CHECK(vmaccel_vm_configure_affinity(vm, 0, VMACCEL_STRATEGY_LOAD_BALANCED) ==
          VMACCEL_EGONE);
    CHECK(std::string(vmaccel_error_last()).find("1 of 3") != std::string::npos);
    CHECK(vcpu(vm, 1).result == VMACCEL_EGONE);
    CHECK(vcpu(vm, 1).gone == 1);
    for (unsigned i : {0u, 2u}) {
        CHECK(vcpu(vm, i).result == 0);
        CHECK(h.cpus(101 + int(i)) == std::to_string(vcpu(vm, i).planned_cpu));
    }
    REQUIRE(vmaccel_vm_refresh(vm) == 0); // two vCPUs still alive
    vmaccel_vm_detach(vm);
}

static void exit_thread_103(va_sim *s, int tid, void *)
{
    if (tid == 103)
        va_sim_exit_thread(s, 100, 103);
}

TEST_CASE("fault: a thread exits between the guard and the syscall",
          "[vmm][applier][faults]")
{
    Host h;
    h.qemu(100, 3);
    REQUIRE(va_sim_set_file(h.sim, 100, 0, "maps", "") == 0);
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(h.m, 100, nullptr, &vm) == 0);
    va_sim_on_action(h.sim, exit_thread_103, nullptr);
    CHECK(vmaccel_vm_configure_affinity(vm, 0, VMACCEL_STRATEGY_LOCAL_FIRST) ==
          VMACCEL_EGONE);
    CHECK(vcpu(vm, 2).result == VMACCEL_EGONE);
    CHECK(vcpu(vm, 0).result == 0);
    CHECK(vcpu(vm, 1).result == 0);
    va_sim_on_action(h.sim, nullptr, nullptr);
    vmaccel_vm_detach(vm);
}

TEST_CASE("fault: the VMM exits, then its pid is recycled", "[vmm][applier][faults]")
{
    Host h;
    h.qemu(100, 2);
    REQUIRE(va_sim_set_file(h.sim, 100, 0, "maps", "") == 0);
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(h.m, 100, nullptr, &vm) == 0);
    REQUIRE(va_sim_exit(h.sim, 100) == 0);
    // A new process gets pid 100, with threads of the same names and tids.
    h.qemu(100, 2);
    CHECK(vmaccel_vm_configure_affinity(vm, 0, VMACCEL_STRATEGY_LOCAL_FIRST) ==
          VMACCEL_EGONE);
    CHECK(std::string(vmaccel_error_last()).find("exited") != std::string::npos);
    CHECK(h.cpus(101) == "0-3"); // the new process is left alone
    CHECK(h.cpus(102) == "0-3");
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    REQUIRE(vmaccel_vm_info_get(vm, &info) == 0);
    CHECK(info.gone == 1);
    CHECK(vmaccel_vm_refresh(vm) == VMACCEL_EGONE);
    CHECK(vmaccel_vm_restore_affinity(vm) == VMACCEL_EGONE);
    vmaccel_vm_detach(vm);
}

TEST_CASE("fault: a tid recycled inside the VMM is not acted on", "[vmm][applier][faults]")
{
    Host h;
    h.qemu(100, 2);
    vmaccel_vm *vm = h.attach(100);
    REQUIRE(va_sim_exit_thread(h.sim, 100, 102) == 0);
    REQUIRE(va_sim_add_thread(h.sim, 100, 102, "CPU 1/KVM") == 0); // new start time
    CHECK(vmaccel_vm_configure_affinity(vm, 0, VMACCEL_STRATEGY_LOCAL_FIRST) ==
          VMACCEL_EGONE);
    CHECK(vcpu(vm, 1).result == VMACCEL_EGONE);
    CHECK(h.cpus(102) == "0-3");
    vmaccel_vm_detach(vm);
}

static void shrink_cpuset(va_sim *s, int tid, void *)
{
    if (tid == 102)
        va_sim_set_cpuset(s, 100, "2-3");
}

TEST_CASE("fault: a cpuset that forbids a CPU", "[vmm][applier][faults]")
{
    Host h;
    h.qemu(100, 2);
    REQUIRE(va_sim_set_file(h.sim, 100, 0, "maps", "") == 0);
    // The VMM's cgroup allows CPUs 1-3 only: the plan avoids CPU 0.
    REQUIRE(va_sim_set_cpuset(h.sim, 100, "1-3") == 0);
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(h.m, 100, nullptr, &vm) == 0);
    REQUIRE(vmaccel_vm_configure_affinity(vm, 0, VMACCEL_STRATEGY_LOCAL_FIRST) == 0);
    for (unsigned i = 0; i < 2; i++)
        CHECK(vcpu(vm, i).planned_cpu != 0);
    REQUIRE(vmaccel_vm_restore_affinity(vm) == 0);
    // The cpuset shrinks while pinning: the kernel refuses a CPU it no
    // longer allows (EINVAL) for that thread only.
    REQUIRE(va_sim_set_cpuset(h.sim, 100, "0-3") == 0);
    // The kernel gives a cpuset's tasks its new CPUs when it grows;
    // otherwise their affinity 1-3 reads as someone's pin (taskset).
    const va_platform *p = va_sim_platform(h.sim);
    va_cpumask all;
    REQUIRE(va_cpumask_parse("0-3", &all) == 0);
    for (int tid : {101, 102})
        REQUIRE(p->set_affinity(p, tid, &all) == 0);
    va_sim_on_action(h.sim, shrink_cpuset, nullptr);
    vmaccel_pin_options o = VMACCEL_PIN_OPTIONS_INIT;
    int rc = vmaccel_vm_pin(vm, &o);
    va_sim_on_action(h.sim, nullptr, nullptr);
    vmaccel_vcpu_info v1 = vcpu(vm, 1);
    INFO("vCPU 1 planned on CPU " << v1.planned_cpu);
    if (v1.planned_cpu < 2) {
        CHECK(rc == VMACCEL_EINVAL);
        CHECK(v1.result == VMACCEL_EINVAL);
    } else {
        CHECK(rc == 0);
    }
    vmaccel_vm_detach(vm);
}

TEST_CASE("two VMs are planned around each other", "[vmm][applier]")
{
    Host h;
    h.qemu(100, 2);
    h.qemu(200, 2);
    REQUIRE(va_sim_set_file(h.sim, 100, 0, "maps", "") == 0);
    REQUIRE(va_sim_set_file(h.sim, 200, 0, "maps", "") == 0);
    vmaccel_vm *a = nullptr, *b = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(h.m, 100, nullptr, &a) == 0);
    REQUIRE(vmaccel_vm_attach_pid(h.m, 200, nullptr, &b) == 0);
    REQUIRE(vmaccel_vm_configure_affinity(a, 0, VMACCEL_STRATEGY_LOCAL_FIRST) == 0);
    REQUIRE(vmaccel_vm_configure_affinity(b, 0, VMACCEL_STRATEGY_LOCAL_FIRST) == 0);
    std::set<int> used;
    for (auto *vm : {a, b})
        for (unsigned i = 0; i < 2; i++)
            used.insert(vcpu(vm, i).planned_cpu);
    CHECK(used.size() == 4);
    CHECK(vcpu(a, 0).planned_node != vcpu(b, 0).planned_node);
    vmaccel_vm_detach(a);
    vmaccel_vm_detach(b);
}

TEST_CASE("saved originals restore from another VM object", "[vmm][applier]")
{
    Host h;
    h.qemu(100, 2);
    h.set_cpus(101, "1-2");
    vmaccel_vm *vm = h.attach(100);
    REQUIRE(vmaccel_vm_configure_affinity(vm, 0, VMACCEL_STRATEGY_LOCAL_FIRST) == 0);
    vmaccel_buf state{};
    REQUIRE(vmaccel_vm_affinity_state(vm, &state) == 0);
    vmaccel_vm_detach(vm); // as `vmaccel pin` exits
    vm = h.attach(100);
    REQUIRE(vmaccel_vm_affinity_state_load(vm, (const char *)state.data, state.len) == 0);
    REQUIRE(vmaccel_vm_restore_affinity(vm) == 0);
    CHECK(h.cpus(101) == "1-2");
    CHECK(h.cpus(102) == "0-3");
    CHECK(vmaccel_vm_affinity_state_load(vm, "{\"pid\":", 7) == VMACCEL_EPARSE);
    vmaccel_vm_detach(vm);
    // The same state against a recycled pid is refused.
    REQUIRE(va_sim_exit(h.sim, 100) == 0);
    h.qemu(100, 2);
    vm = h.attach(100);
    CHECK(vmaccel_vm_affinity_state_load(vm, (const char *)state.data, state.len) ==
          VMACCEL_ESTATE);
    vmaccel_buf_free(&state);
    vmaccel_vm_detach(vm);
}

TEST_CASE("capture saves the originals before a pin changes anything", "[vmm][applier]")
{
    Host h;
    h.qemu(100, 3);
    h.set_cpus(101, "1-2");
    vmaccel_vm *vm = h.attach(100);
    vmaccel_pin_options o = VMACCEL_PIN_OPTIONS_INIT;
    o.vcpu_count = 2;
    o.set_nice = 1;
    o.nice = 5;
    o.override_pins = 1; // 1-2 reads as someone's taskset; this pin moves it anyway
    vmaccel_buf before{}, after{};
    REQUIRE(vmaccel_vm_affinity_state_capture(vm, &o) == 0);
    CHECK(h.cpus(101) == "1-2"); // nothing changed yet
    CHECK(h.cpus(102) == "0-3");
    CHECK(vcpu(vm, 0).pinned == 0);
    REQUIRE(vmaccel_vm_affinity_state(vm, &before) == 0);
    std::string text((const char *)before.data, before.len);
    CHECK(text.find("\"tid\":103") == std::string::npos); // not part of this pin
    CHECK(text.find("\"cpus\":\"1-2\",\"nice\":0") != std::string::npos);
    CHECK(text.find("\"pinned\":true") != std::string::npos);
    CHECK(text.find("\"nice_changed\":true") != std::string::npos);
    // The pin keeps the captured originals: the state is the same after it.
    REQUIRE(vmaccel_vm_pin(vm, &o) == 0);
    CHECK(h.cpus(101) != "1-2");
    REQUIRE(vmaccel_vm_affinity_state(vm, &after) == 0);
    CHECK(std::string((const char *)after.data, after.len) == text);
    vmaccel_vm_detach(vm); // as `vmaccel pin` exits
    // Restoring from the state saved *before* the pin gives everything back.
    vm = h.attach(100);
    REQUIRE(vmaccel_vm_affinity_state_load(vm, (const char *)before.data, before.len) == 0);
    REQUIRE(vmaccel_vm_restore_affinity(vm) == 0);
    int nice = 99;
    CHECK(h.cpus(101) == "1-2");
    CHECK(h.cpus(102) == "0-3");
    const va_platform *p = va_sim_platform(h.sim);
    REQUIRE(p->get_nice(p, 102, &nice) == 0);
    CHECK(nice == 0);
    vmaccel_buf_free(&before);
    vmaccel_buf_free(&after);
    // A dry run captures nothing; bad options and a gone VMM are refused.
    o.dry_run = 1;
    REQUIRE(vmaccel_vm_affinity_state_capture(vm, &o) == 0);
    CHECK(vmaccel_vm_affinity_state(vm, &before) == VMACCEL_ESTATE);
    o = VMACCEL_PIN_OPTIONS_INIT;
    o.vcpu_count = 4;
    CHECK(vmaccel_vm_affinity_state_capture(vm, &o) == VMACCEL_EINVAL);
    CHECK(vmaccel_vm_affinity_state_capture(vm, nullptr) == VMACCEL_EINVAL);
    CHECK(vmaccel_vm_affinity_state_capture(nullptr, &o) == VMACCEL_EINVAL);
    REQUIRE(va_sim_exit(h.sim, 100) == 0);
    o.vcpu_count = 0;
    CHECK(vmaccel_vm_affinity_state_capture(vm, &o) == VMACCEL_EGONE);
    vmaccel_vm_detach(vm);
}

TEST_CASE("capture reports a vCPU thread that exited and reads the others",
          "[vmm][applier]")
{
    Host h;
    h.qemu(100, 2);
    vmaccel_vm *vm = h.attach(100);
    REQUIRE(va_sim_exit_thread(h.sim, 100, 102) == 0);
    vmaccel_pin_options o = VMACCEL_PIN_OPTIONS_INIT;
    CHECK(vmaccel_vm_affinity_state_capture(vm, &o) == VMACCEL_EGONE);
    CHECK(std::string(vmaccel_error_last()).find("capture: 1 of 2") != std::string::npos);
    CHECK(vcpu(vm, 0).result == 0);
    CHECK(vcpu(vm, 1).result == VMACCEL_EGONE);
    vmaccel_buf state{};
    REQUIRE(vmaccel_vm_affinity_state(vm, &state) == 0);
    std::string text((const char *)state.data, state.len);
    CHECK(text.find("\"tid\":101") != std::string::npos);
    CHECK(text.find("\"tid\":102") == std::string::npos);
    vmaccel_buf_free(&state);
    vmaccel_vm_detach(vm);
}

TEST_CASE("the report's VM and placement sections", "[vmm][report]")
{
    Host h;
    h.qemu(100, 2);
    REQUIRE(va_sim_set_file(h.sim, 100, 0, "maps",
                            "7f1000000000-7f1008000000 rw-p 00000000 00:00 0 \n") == 0);
    REQUIRE(va_sim_set_last_cpu(h.sim, 101, 3) == 0);
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(h.m, 100, nullptr, &vm) == 0);
    REQUIRE(vmaccel_vm_configure_affinity(vm, 0, VMACCEL_STRATEGY_LOCAL_FIRST) == 0);
    va_arena a = VA_ARENA_INIT;
    Vmaccel__V1__DiagnosticReport r = VMACCEL__V1__DIAGNOSTIC_REPORT__INIT;
    pthread_mutex_lock(&h.m->lock);
    int rc = va_vm_report_fill(h.m, &r, &a);
    pthread_mutex_unlock(&h.m->lock);
    REQUIRE(rc == 0);
    REQUIRE(r.n_vms == 1);
    CHECK(r.vms[0]->pid == 100);
    REQUIRE(r.vms[0]->n_vcpus == 2);
    CHECK(r.vms[0]->vcpus[0]->tid == 101);
    CHECK(r.vms[0]->vcpus[0]->cpu == 3);
    REQUIRE(r.vms[0]->vcpus[0]->n_allowed_cpus == 1);
    REQUIRE(r.vms[0]->n_memory == 1);
    CHECK(r.vms[0]->memory[0]->length == 128u << 20);
    REQUIRE(r.n_placements == 1);
    CHECK(r.placements[0]->vm_id == r.vms[0]->id);
    CHECK(std::string(r.placements[0]->strategy) == "local-first");
    REQUIRE(r.placements[0]->n_vcpus == 2);
    CHECK(r.placements[0]->vcpus[1]->cpu == r.vms[0]->vcpus[1]->allowed_cpus[0]);
    va_arena_free(&a);
    vmaccel_vm_detach(vm);
}

TEST_CASE("pinning two VMs and reporting from three threads", "[vmm][threads]")
{
    Host h;
    h.qemu(100, 2);
    h.qemu(200, 2);
    REQUIRE(va_sim_set_file(h.sim, 100, 0, "maps", "") == 0);
    REQUIRE(va_sim_set_file(h.sim, 200, 0, "maps", "") == 0);
    vmaccel_vm *a = nullptr, *b = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(h.m, 100, nullptr, &a) == 0);
    REQUIRE(vmaccel_vm_attach_pid(h.m, 200, nullptr, &b) == 0);
    std::atomic<int> errors{0};
    auto pinner = [&](vmaccel_vm *vm) {
        for (int i = 0; i < 50; i++)
            if (vmaccel_vm_configure_affinity(vm, 0, VMACCEL_STRATEGY_LOCAL_FIRST) ||
                vmaccel_vm_restore_affinity(vm))
                errors++;
    };
    auto reporter = [&] {
        for (int i = 0; i < 50; i++) {
            va_arena ar = VA_ARENA_INIT;
            Vmaccel__V1__DiagnosticReport r = VMACCEL__V1__DIAGNOSTIC_REPORT__INIT;
            pthread_mutex_lock(&h.m->lock);
            errors += va_vm_report_fill(h.m, &r, &ar) != 0;
            pthread_mutex_unlock(&h.m->lock);
            va_arena_free(&ar);
        }
    };
    std::thread t1(pinner, a), t2(pinner, b), t3(reporter);
    t1.join();
    t2.join();
    t3.join();
    CHECK(errors == 0);
    vmaccel_vm_detach(a);
    vmaccel_vm_detach(b);
}
