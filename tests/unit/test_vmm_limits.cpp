// Per-vCPU limits and the operator's placement: the cgroup texts as the
// kernel writes them, the judge's rules, the planner within each vCPU's
// set, and pinning on the simulated host (kept pins, --override-pins,
// events, the report, old option versions).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" {
#include "affinity/plan_limits.h"
#include "numa/engine.h"
#include "platform/cgroup_parse.h"
#include "platform/sim.h"
#include "platform/sim_numa.h"
#include "report/arena.h"
#include "topology/topo.h"
#include "vmm/limits.h"
#include "vmm/vm_internal.h"
#include "vmm/vm_report.h"
#include "vmaccel/vmaccel.h"
}

#include "sim_host.hpp"
#include "vmm_host.hpp"

using namespace std::string_literals;

namespace {

va_cpumask mask(const char *list)
{
    va_cpumask m;
    REQUIRE(va_cpumask_parse(list, &m) == 0);
    return m;
}

std::string list(const va_cpumask &m)
{
    char buf[128];
    va_cpumask_format(&m, buf, sizeof buf);
    return buf;
}

// Events of one type from the manager's pull queue (the others dropped).
std::vector<std::string> events(vmaccel_manager *m, int type)
{
    std::vector<std::string> out;
    vmaccel_buf b = {nullptr, 0};
    while (vmaccel_event_next(m, 0, &b) == 0) {
        auto *ev = vmaccel__v1__event__unpack(nullptr, b.len, b.data);
        REQUIRE(ev != nullptr);
        if (ev->type == type)
            out.push_back(ev->message);
        vmaccel__v1__event__free_unpacked(ev, nullptr);
        vmaccel_buf_free(&b);
    }
    return out;
}

vmaccel_vcpu_limits limits(vmaccel_vm *vm, unsigned i)
{
    vmaccel_vcpu_limits l = VMACCEL_VCPU_LIMITS_INIT;
    REQUIRE(vmaccel_vm_vcpu_limits(vm, i, &l) == 0);
    return l;
}

bool has(const std::string &s, const std::string &part)
{
    return s.find(part) != std::string::npos;
}

} // namespace

// ---- the texts: /proc/PID/task/TID/cgroup and mountinfo ----

TEST_CASE("cgroup: a thread's cpuset cgroup in v1, v2 and hybrid layouts", "[limits][cgroup]")
{
    va_cgroup_paths p;
    // Hybrid (this machine's layout): v1 controllers and an empty unified line.
    std::string hybrid = "9:name=systemd:/\n4:memory:/x\n3:cpuset:/machine/qemu-1-lv.libvirt-"
                         "qemu/vcpu0\n1:cpu,cpuacct:/\n0::/\n";
    REQUIRE(va_cgroup_parse(hybrid.data(), hybrid.size(), &p));
    CHECK(p.v1_cpuset);
    CHECK(std::string(p.v1_path) == "/machine/qemu-1-lv.libvirt-qemu/vcpu0");
    CHECK(p.v2);
    CHECK(std::string(p.v2_path) == "/");
    // Pure v2; a combined v1 line "cpu,cpuset"; garbage lines are skipped.
    std::string v2 = "garbage\n0::/machine.slice/machine-qemu\\x2d1\\x2dlv.scope/libvirt/vcpu1";
    REQUIRE(va_cgroup_parse(v2.data(), v2.size(), &p));
    CHECK(!p.v1_cpuset);
    CHECK(std::string(p.v2_path) == "/machine.slice/machine-qemu\\x2d1\\x2dlv.scope/libvirt/vcpu1");
    std::string combined = "5:cpu,cpuset:/kubepods/pod1/c1\n";
    REQUIRE(va_cgroup_parse(combined.data(), combined.size(), &p));
    CHECK(std::string(p.v1_path) == "/kubepods/pod1/c1");
    // cpusetx is not cpuset; a relative path is not a cgroup path.
    std::string wrong = "5:cpusetx:/a\n6:cpuset:relative\n";
    CHECK(!va_cgroup_parse(wrong.data(), wrong.size(), &p));
    CHECK(!va_cgroup_parse("", 0, &p));
}

TEST_CASE("cgroup: mount points from mountinfo, escapes, namespaces, parents", "[limits][cgroup]")
{
    // proc(5) layout: ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - TYPE SOURCE SUPER
    std::string mi =
        "25 30 0:22 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
        "33 25 0:28 / /sys/fs/cgroup/unified rw shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
        "36 25 0:31 / /sys/fs/cgroup/cpu rw shared:14 - cgroup cgroup rw,cpu\n"
        "37 25 0:32 /ns /sys/fs/cgroup/cpu\\040set rw shared:15 master:3 - cgroup cgroup rw,cpuset\n"
        "broken line\n";
    va_cgroup_mount v1, v2;
    va_mountinfo_cgroups(mi.data(), mi.size(), &v1, &v2);
    REQUIRE(v1.found);
    CHECK(std::string(v1.point) == "/sys/fs/cgroup/cpu set"); // \040 decoded
    CHECK(std::string(v1.root) == "/ns");
    REQUIRE(v2.found);
    CHECK(std::string(v2.point) == "/sys/fs/cgroup/unified");
    char dir[600];
    // Paths below the mount's root only (a cgroup namespace).
    REQUIRE(va_cgroup_dir(&v1, "/ns/machine/vcpu0", dir, sizeof dir));
    CHECK(std::string(dir) == "/sys/fs/cgroup/cpu set/machine/vcpu0");
    REQUIRE(va_cgroup_dir(&v1, "/ns", dir, sizeof dir));
    CHECK(std::string(dir) == "/sys/fs/cgroup/cpu set");
    CHECK(!va_cgroup_dir(&v1, "/nsx/a", dir, sizeof dir));
    CHECK(!va_cgroup_dir(&v1, "/other", dir, sizeof dir));
    CHECK(!va_cgroup_dir(&v2, "/a/../../etc", dir, sizeof dir));
    REQUIRE(va_cgroup_dir(&v2, "/", dir, sizeof dir));
    CHECK(std::string(dir) == "/sys/fs/cgroup/unified");
    char parent[64];
    REQUIRE(va_cgroup_parent("/a/b/c", parent, sizeof parent));
    CHECK(std::string(parent) == "/a/b");
    REQUIRE(va_cgroup_parent("/a", parent, sizeof parent));
    CHECK(std::string(parent) == "/");
    CHECK(!va_cgroup_parent("/", parent, sizeof parent));
}

TEST_CASE("cgroup: the live thread_cpuset of this very thread agrees with the kernel",
          "[limits][cgroup]")
{
    // Whatever the host's layout, the cpuset read must contain the CPUs the
    // kernel lets this thread use, and a cpuset that governs it has mems.
    const va_platform *p = va_platform_linux();
    va_thread_cpuset cs;
    REQUIRE(p->thread_cpuset(p, getpid(), (int)gettid(), &cs) == 0);
    va_cpumask aff, common;
    REQUIRE(p->get_affinity(p, (int)gettid(), &aff) == 0);
    va_cpumask_and(&common, &aff, &cs.cpus);
    CHECK(va_cpumask_equal(&common, &aff));
    if (cs.found) {
        CHECK((cs.version == 1 || cs.version == 2));
        CHECK(!va_cpumask_empty(&cs.mems));
        CHECK(cs.path[0] == '/');
    }
    CHECK(p->thread_cpuset(p, getpid(), 0x3ffffff0, &cs) == VMACCEL_EGONE);
}

// ---- the judge ----

namespace {

struct Facts {
    va_thread_cpuset cg{};
    va_cpumask affinity = mask("0-3");
    va_managed_vcpu managed{};
    bool have_managed = false;
    va_cpumask original{}, applied{}, own = mask("0-7");
    bool have_original = false, have_applied = false, have_own = false;
    va_limit mem{};
    Facts()
    {
        cg.found = true;
        cg.version = 1;
        snprintf(cg.path, sizeof cg.path, "/machine/vm/vcpu0");
        cg.cpus = mask("0-3");
        cg.mems = mask("0");
        cg.have_parent = true;
        cg.parent_cpus = mask("0-3");
        cg.parent_mems = mask("0-1");
    }
    va_vcpu_limits judge()
    {
        va_limits_input in = {&cg, &affinity, have_original ? &original : nullptr,
                              have_applied ? &applied : nullptr,
                              have_managed ? &managed : nullptr, have_own ? &own : nullptr,
                              mem.set ? &mem : nullptr};
        va_vcpu_limits out;
        va_limits_judge(&in, &out);
        return out;
    }
};

} // namespace

TEST_CASE("judge: an unconstrained vCPU is free, its cgroup is its limit", "[limits]")
{
    Facts f;
    f.cg.parent_mems = mask("0"); // mems as wide as the parent's
    auto l = f.judge();
    CHECK(l.known);
    CHECK(list(l.cpus.mask) == "0-3");
    CHECK(l.cpus.origin == VA_ORIGIN_CGROUP);
    CHECK(std::string(l.cpus.source) == "cgroup v1 cpuset /machine/vm/vcpu0");
    CHECK(list(l.mems.mask) == "0");
    CHECK(!l.cpu_pin.set);
    CHECK(!l.mem_pin.set);
    f.cg.found = false; // no cpuset at all: every online CPU
    l = f.judge();
    CHECK(l.cpus.origin == VA_ORIGIN_NONE);
    CHECK(!l.mems.set);
}

TEST_CASE("judge: taskset narrower than the cgroup is the operator's pin", "[limits]")
{
    Facts f;
    f.cg.parent_mems = mask("0");
    f.affinity = mask("2");
    auto l = f.judge();
    REQUIRE(l.cpu_pin.set);
    CHECK(l.cpu_pin.origin == VA_ORIGIN_AFFINITY);
    CHECK(list(l.cpu_pin.mask) == "2");
    CHECK(has(l.cpu_pin.source, "affinity 2"));
    CHECK(has(l.cpu_pin.source, "cgroup allows 0-3"));
    // vm-accel pinned it (original saved): the original is judged, not its own pin.
    f.have_original = true;
    f.original = mask("0-3");
    f.have_applied = true;
    f.applied = mask("2");
    CHECK(!f.judge().cpu_pin.set);
    // ... and someone re-pinned it after vm-accel: theirs now.
    f.affinity = mask("1");
    l = f.judge();
    REQUIRE(l.cpu_pin.set);
    CHECK(has(l.cpu_pin.source, "after vm-accel pinned it to 2"));
    // An original affinity that was already narrow stays the operator's.
    f.affinity = mask("2");
    f.original = mask("2-3");
    l = f.judge();
    REQUIRE(l.cpu_pin.set);
    CHECK(list(l.cpu_pin.mask) == "2-3");
}

TEST_CASE("judge: a cgroup narrower than its parent (Kubernetes CPU manager)", "[limits]")
{
    Facts f;
    f.cg.parent_cpus = mask("0-7");
    f.cg.cpus = mask("4-5");
    f.affinity = mask("4-5");
    f.cg.mems = mask("1");
    f.have_own = true; // vm-accel runs elsewhere (the shared pool)
    f.own = mask("0-3,6-7");
    auto l = f.judge();
    REQUIRE(l.cpu_pin.set);
    CHECK(l.cpu_pin.origin == VA_ORIGIN_CGROUP);
    CHECK(has(l.cpu_pin.source, "allows 4-5, narrower than its parent's 0-7"));
    REQUIRE(l.mem_pin.set); // mems 1 of the parent's 0-1
    CHECK(l.mem_pin.origin == VA_ORIGIN_CGROUP);
    // The very cpuset vm-accel runs in: a confined host, not a VM's placement.
    f.own = mask("4-5");
    CHECK(!f.judge().cpu_pin.set);
}

TEST_CASE("judge: libvirt's vcpupin, vm-accel's own record, the mirrored cgroup", "[limits]")
{
    Facts f;
    f.cg.parent_mems = mask("0");
    // <vcpupin vcpu='0' cpuset='1'/>: libvirt wrote it into vcpu0's cgroup too.
    f.cg.cpus = mask("1");
    f.affinity = mask("1");
    f.have_managed = true;
    f.managed.pinned = true;
    f.managed.cpus = mask("1");
    snprintf(f.managed.source, sizeof f.managed.source, "libvirt <vcpupin vcpu='0' cpuset='1'/>");
    auto l = f.judge();
    REQUIRE(l.cpu_pin.set);
    CHECK(l.cpu_pin.origin == VA_ORIGIN_LIBVIRT);
    CHECK(std::string(l.cpu_pin.source) == "libvirt <vcpupin vcpu='0' cpuset='1'/>");
    // Through libvirt the vCPU may go anywhere in the domain's cgroup.
    CHECK(list(l.cpus.mask) == "0-3");
    CHECK(has(l.cpus.source, "/machine/vm (the vCPU's own cgroup follows its pin)"));
    // vm-accel's own pin (recorded in the metadata): neither a libvirt pin
    // nor a narrow cgroup nor taskset.
    f.managed.by_vmaccel = true;
    l = f.judge();
    CHECK(!l.cpu_pin.set);
    CHECK(list(l.cpus.mask) == "0-3");
    // numatune with a nodeset: the memory is the operator's.
    f.mem.set = true;
    f.mem.origin = VA_ORIGIN_LIBVIRT;
    f.mem.mask = mask("0");
    snprintf(f.mem.source, sizeof f.mem.source, "libvirt <numatune><memory mode='strict' nodeset='0'/>");
    l = f.judge();
    REQUIRE(l.mem_pin.set);
    CHECK(l.mem_pin.origin == VA_ORIGIN_LIBVIRT);
}

// ---- the planner within each vCPU's set ----

namespace {

struct Topo {
    vmaccel_topology *t = nullptr;
    explicit Topo(const char *synthetic)
    {
        vmaccel_topology_options o = VMACCEL_TOPOLOGY_OPTIONS_INIT;
        o.source = VMACCEL_TOPOLOGY_SYNTHETIC;
        o.synthetic = synthetic;
        REQUIRE(vmaccel_topology_load(&o, &t) == 0);
    }
    ~Topo() { vmaccel_topology_free(t); }
};

} // namespace

TEST_CASE("planner: kept vCPUs count as load, the others stay within their sets",
          "[limits][planner]")
{
    Topo topo("numa:2 core:4 pu:1"); // node 0: PUs 0-3, node 1: PUs 4-7
    bool node1[8] = {false, false, false, false, true, true, true, true};
    bool only5[8] = {false, false, false, false, false, true, false, false};
    std::vector<va_vcpu_rule> rules(4, va_vcpu_rule{nullptr, false, VMACCEL_NO_INDEX});
    rules[0] = {nullptr, true, 0};    // the operator's: stays on PU 0
    rules[1] = {node1, false, 0};     // its cgroup allows node 1 only
    rules[2] = {only5, false, 0};     // ... CPU 5 only: planned first, gets it
    rules[3] = {nullptr, false, 0};
    va_limited_input in = {topo.t, nullptr, nullptr, VMACCEL_SMT_SPREAD,
                           VMACCEL_STRATEGY_LOAD_BALANCED, nullptr, 4, rules.data()};
    va_limited_plan plan;
    REQUIRE(va_plan_limited(&in, &plan) == 0);
    CHECK(plan.pu[0] == 0);
    CHECK(plan.pu[1] >= 4);
    CHECK(plan.pu[2] == 5);
    CHECK(plan.pu[1] != 5);
    CHECK(plan.pu[3] != 0); // PU 0 is taken by the kept vCPU
    CHECK(plan.planned == 3);
    CHECK(plan.score > 0);
    va_limited_plan_release(&plan);

    // A set whose every PU is reserved: a clear error naming the vCPU.
    bool reserved[8] = {false, false, false, false, false, true, false, false};
    in.reserved = reserved;
    CHECK(va_plan_limited(&in, &plan) == VMACCEL_ENOENT);
    CHECK(has(vmaccel_error_last(), "vCPU 2:"));
}

TEST_CASE("planner: one shared set and no pins plans like the plain planner",
          "[limits][planner]")
{
    Topo topo("numa:2 core:4 pu:2");
    std::vector<va_vcpu_rule> rules(6, va_vcpu_rule{nullptr, false, VMACCEL_NO_INDEX});
    va_limited_input in = {topo.t, nullptr, nullptr, VMACCEL_SMT_SPREAD,
                           VMACCEL_STRATEGY_LOCAL_FIRST, nullptr, 6, rules.data()};
    va_limited_plan lp;
    REQUIRE(va_plan_limited(&in, &lp) == 0);
    va_plan_vm vm = {6, nullptr, VMACCEL_STRATEGY_LOCAL_FIRST, false, 0, 0};
    va_plan_input pi = {topo.t, nullptr, nullptr, VMACCEL_SMT_SPREAD, 1, &vm};
    va_plan p;
    REQUIRE(va_plan_compute(&pi, &p) == 0);
    for (unsigned i = 0; i < 6; i++)
        CHECK(lp.pu[i] == p.pu[i]);
    CHECK(lp.score == Approx(p.score));
    va_plan_release(&p);
    va_limited_plan_release(&lp);
}

// ---- pinning on the simulated host ----

TEST_CASE("pin: each vCPU within its own cgroup, not the process's", "[limits][pin]")
{
    Host h;
    h.qemu(100, 2);
    // libvirt-like: each vCPU thread in a cgroup of its own; the process's
    // cgroup allows every CPU.
    REQUIRE(va_sim_set_thread_cgroup(h.sim, 101, "/machine/vm/vcpu0", "2-3", "1", "0-3") == 0);
    REQUIRE(va_sim_set_thread_cgroup(h.sim, 102, "/machine/vm/vcpu1", "0-3", "0-1", "0-3") == 0);
    vmaccel_vm *vm = h.attach(100);
    auto l0 = limits(vm, 0);
    CHECK(std::string(l0.cpus) == "2-3");
    CHECK(l0.cpus_origin == VMACCEL_ORIGIN_CGROUP);
    CHECK(std::string(l0.cpus_source) == "cgroup v2 cpuset /machine/vm/vcpu0");
    CHECK(std::string(l0.mems) == "1");
    CHECK(l0.operator_pinned); // 2-3 of its parent's 0-3
    // The operator's cgroup: vCPU 0 stays; vCPU 1 is planned around it.
    vmaccel_pin_options o = VMACCEL_PIN_OPTIONS_INIT;
    REQUIRE(vmaccel_vm_pin(vm, &o) == 0);
    CHECK(h.cpus(101) == "2-3");
    CHECK(vcpu(vm, 0).result == 0);
    CHECK(limits(vm, 0).kept == 1);
    CHECK(h.cpus(102).size() == 1);
    // With override: vCPU 0 is planned too, inside its cgroup (sched_setaffinity
    // cannot leave it).
    o.override_pins = 1;
    o.strategy = VMACCEL_STRATEGY_LOAD_BALANCED;
    REQUIRE(vmaccel_vm_pin(vm, &o) == 0);
    CHECK((h.cpus(101) == "2" || h.cpus(101) == "3"));
    CHECK(limits(vm, 0).overrode == 1);
    CHECK(limits(vm, 0).kept == 0);
    vmaccel_vm_detach(vm);
}

TEST_CASE("pin: a taskset vCPU stays put and its CPU is taken, and override moves it",
          "[limits][pin]")
{
    Host h("numa:1 core:4 pu:1");
    h.qemu(100, 3);
    h.set_cpus(102, "1"); // vCPU 1: the operator's taskset -p -c 1
    REQUIRE(va_sim_set_last_cpu(h.sim, 102, 1) == 0);
    vmaccel_vm *vm = h.attach(100);
    events(h.m, 0);
    vmaccel_pin_options o = VMACCEL_PIN_OPTIONS_INIT;
    o.strategy = VMACCEL_STRATEGY_LOAD_BALANCED;
    REQUIRE(vmaccel_vm_pin(vm, &o) == 0);
    CHECK(h.cpus(102) == "1");
    CHECK(vcpu(vm, 1).planned_cpu == 1); // where it stays
    auto l = limits(vm, 1);
    CHECK(l.operator_pinned);
    CHECK(l.pin_origin == VMACCEL_ORIGIN_AFFINITY);
    CHECK(l.kept);
    for (int tid : {101, 103}) // CPU 1 is counted as taken
        CHECK(h.cpus(tid) != "1");
    CHECK(h.cpus(101) != h.cpus(103));
    auto ev = events(h.m, VMACCEL_EVENT_VCPUS_PINNED);
    REQUIRE(ev.size() == 1);
    CHECK(has(ev[0], "2 vCPU(s) pinned"));
    CHECK(has(ev[0], "left to the operator's pin: vCPU 1 stays on CPU 1 (affinity 1"));
    // Pinning again (vm-accel's own pins are no operator's): the same.
    REQUIRE(vmaccel_vm_pin(vm, &o) == 0);
    CHECK(!limits(vm, 0).operator_pinned);
    CHECK(limits(vm, 1).operator_pinned);
    // --override-pins: vCPU 1 moves too, and the event says so.
    events(h.m, 0);
    o.override_pins = 1;
    REQUIRE(vmaccel_vm_pin(vm, &o) == 0);
    CHECK(limits(vm, 1).overrode);
    ev = events(h.m, VMACCEL_EVENT_VCPUS_PINNED);
    REQUIRE(ev.size() == 1);
    CHECK(has(ev[0], "3 vCPU(s) pinned"));
    CHECK(has(ev[0], "operator's pin overridden: vCPU 1 -> CPU"));
    // Restore gives vCPU 1 its taskset back.
    REQUIRE(vmaccel_vm_restore_affinity(vm) == 0);
    CHECK(h.cpus(102) == "1");
    vmaccel_vm_detach(vm);
}

TEST_CASE("pin: limits and the operator's pins are in the report", "[limits][report]")
{
    Host h;
    h.qemu(100, 2);
    h.set_cpus(101, "3");
    vmaccel_vm *vm = h.attach(100);
    vmaccel_pin_options o = VMACCEL_PIN_OPTIONS_INIT;
    REQUIRE(vmaccel_vm_pin(vm, &o) == 0);
    vmaccel_buf b = {nullptr, 0};
    REQUIRE(vmaccel_manager_report(h.m, VMACCEL_FORMAT_PROTOBUF, &b) == 0);
    auto *r = vmaccel__v1__diagnostic_report__unpack(nullptr, b.len, b.data);
    REQUIRE(r != nullptr);
    REQUIRE(r->n_vms == 1);
    const auto *v = r->vms[0];
    CHECK(std::string(v->control) == "os");
    CHECK(std::string(v->discovery) == "thread_names");
    REQUIRE(v->n_vcpus == 2);
    const auto *l0 = v->vcpus[0]->limits, *l1 = v->vcpus[1]->limits;
    REQUIRE(l0);
    REQUIRE(l1);
    CHECK(l0->operator_pinned);
    CHECK(std::string(l0->pin_origin) == "affinity");
    REQUIRE(l0->n_pinned_cpus == 1);
    CHECK(l0->pinned_cpus[0] == 3);
    CHECK(l0->kept);
    CHECK(!l1->operator_pinned);
    CHECK(l1->n_cpus == 4);
    CHECK(std::string(l1->cpus_origin) == "cgroup");
    CHECK(std::string(l1->cpus_source) == "cgroup v2 cpuset /sim/100");
    CHECK(v->vcpus[0]->guest_node == -1);
    vmaccel__v1__diagnostic_report__free_unpacked(r, nullptr);
    vmaccel_buf_free(&b);
    vmaccel_vm_detach(vm);
}

TEST_CASE("options of version 1 are still accepted", "[limits][abi]")
{
    Host h;
    h.qemu(100, 2);
    h.set_cpus(101, "3");
    // A caller built against the version-1 headers: shorter structs.
    struct vm_options_v1 {
        unsigned version;
        const char *name;
        const int *vcpu_tids;
        size_t nvcpu_tids;
        const vmaccel_mem_range *memory;
        size_t nmemory;
    } vo = {1, "old", nullptr, 0, nullptr, 0};
    REQUIRE(va_sim_set_file(h.sim, 100, 0, "maps", "") == 0);
    vmaccel_vm *vm = nullptr;
    REQUIRE(vmaccel_vm_attach_pid(h.m, 100, (const vmaccel_vm_options *)&vo, &vm) == 0);
    struct pin_options_v1 {
        unsigned version;
        vmaccel_strategy strategy;
        vmaccel_smt_policy smt;
        const char *reserved_cpus;
        unsigned vcpu_count;
        int dry_run, set_nice, nice;
        vmaccel_sched_policy sched;
        int rt_priority;
    } po = {1, VMACCEL_STRATEGY_LOCAL_FIRST, VMACCEL_SMT_SPREAD, nullptr, 0, 0, 0, 0,
            VMACCEL_SCHED_UNCHANGED, 0};
    REQUIRE(vmaccel_vm_pin(vm, (const vmaccel_pin_options *)&po) == 0);
    CHECK(h.cpus(101) == "3"); // override_pins defaults to 0
    struct vm_info_v1 {
        unsigned version;
        uint64_t id;
        int pid, in_process, gone;
        vmaccel_vmm_kind vmm;
        unsigned vcpu_count, memory_regions;
        uint64_t memory_bytes;
        char name[64];
        char guard[8];
    } vi{};
    vi.version = 1;
    memset(vi.guard, 0x5a, sizeof vi.guard);
    REQUIRE(vmaccel_vm_info_get(vm, (vmaccel_vm_info *)&vi) == 0);
    CHECK(std::string(vi.name) == "old");
    CHECK(std::all_of(vi.guard, vi.guard + 8, [](char c) { return c == 0x5a; }));
    vmaccel_numa_options no = VMACCEL_NUMA_OPTIONS_INIT;
    no.version = 1;
    CHECK(vmaccel_manager_configure_numa(h.m, &no) == 0);
    no.version = 2;
    CHECK(vmaccel_manager_configure_numa(h.m, &no) == 0);
    no.version = VMACCEL_NUMA_OPTIONS_VERSION + 1;
    CHECK(vmaccel_manager_configure_numa(h.m, &no) == VMACCEL_EINVAL);
    po.version = 7;
    CHECK(vmaccel_vm_pin(vm, (const vmaccel_pin_options *)&po) == VMACCEL_EINVAL);
    vmaccel_vm_detach(vm);
}

// ---- the NUMA engine respects the operator's placement ----

TEST_CASE("engine: vCPUs the operator pinned stay and their memory comes to them",
          "[limits][engine]")
{
    SimHost h(2, 4);
    h.add_vm(2, 0, 64, 1); // vCPUs pinned to node 0 (a taskset), RAM on node 1
    h.enable(VMACCEL_NUMA_FIX_CHEAPER, false, false);
    for (int i = 0; i < 12; i++)
        h.tick();
    for (int tid : h.vms[0].tids) {
        const va_platform *p = va_sim_platform(h.sim);
        va_cpumask m;
        REQUIRE(p->get_affinity(p, tid, &m) == 0);
        CHECK(list(m) == "0-3"); // never moved
    }
    CHECK(h.true_rate(0) >= 0.9); // the memory came to node 0
    vmaccel_locality_info li = VMACCEL_LOCALITY_INFO_INIT;
    REQUIRE(vmaccel_vm_locality(h.vms[0].vm, &li) == 0);
    CHECK(li.vcpu_moves == 0);
    CHECK(li.memory_migrations >= 1);
}

TEST_CASE("engine: with override_pins the cheaper fix moves pinned vCPUs", "[limits][engine]")
{
    SimHost h(2, 4);
    h.add_vm(2, 0, 64, 1);
    h.enable(VMACCEL_NUMA_FIX_CHEAPER, false, true);
    for (int i = 0; i < 6; i++)
        h.tick();
    vmaccel_locality_info li = VMACCEL_LOCALITY_INFO_INIT;
    REQUIRE(vmaccel_vm_locality(h.vms[0].vm, &li) == 0);
    CHECK(li.vcpu_moves >= 1);
    CHECK(h.node_of_cpu(h.last_cpu(h.vms[0].tids[0])) == 1); // next to the memory
}
