/*
 * vmaccel/affinity.h - placing vCPUs on physical CPUs: strategies, the
 * planner and pinning a VM's vCPU threads.
 *
 * A placement maps every vCPU to one PU (an OS CPU number) and its NUMA
 * node. The planner is a pure function of the topology, the CPUs it may
 * use and the VMs (vCPU counts and, when known, guest memory per node); it
 * never calls the OS. Pinning (vmaccel_vm_pin, vmaccel_vm_configure_affinity)
 * plans for one VM and applies the plan to its vCPU threads.
 *
 * Rules every strategy obeys:
 *  - only PUs that are allowed (the cgroup cpuset / the topology's allowed
 *    set), not reserved for the host and permitted by the SMT policy are
 *    used ("usable" PUs);
 *  - PU loads stay even: no usable PU holds k+2 vCPUs while another holds
 *    k, so no PU holds two vCPUs while a usable PU is free;
 *  - the same input always gives the same placement.
 *
 * Strategies:
 *  - LOCAL_FIRST: each VM on as few NUMA nodes as possible, the node holding
 *    most of its memory first (or, memory unknown, the node it fits best),
 *    its vCPUs sharing an L3 (and a core when SMT allows) where possible.
 *    Larger VMs are placed first. A VM that fits in one node's free PUs is
 *    kept in one node.
 *  - LOAD_BALANCED: vCPUs spread so that per-node and per-core vCPU counts
 *    differ by at most one (among nodes, resp. cores, with the same number
 *    of usable PUs), each VM spread round-robin over the nodes.
 *  - BANDWIDTH_OPTIMIZED: each VM's vCPUs spread over the nodes in
 *    proportion to its memory on each node (memory unknown: in proportion
 *    to the usable PUs of each node), so every memory controller holding
 *    its memory serves local accesses.
 *  - ADAPTIVE: per VM, from observed metrics: no metrics yet -> LOCAL_FIRST;
 *    observed local access rate below 0.5 while no node holds 75% of its
 *    memory -> BANDWIDTH_OPTIMIZED (its accesses are spread: follow them);
 *    the VMs' observed CPU demand exceeding the usable PUs ->
 *    LOAD_BALANCED (time-sharing dominates); otherwise LOCAL_FIRST.
 *
 * Score (0..1, higher is better), the quantity each strategy maximises and
 * the one reported: the vCPU-weighted mean over VMs of
 *    loc    mean over vCPUs of 10 / (expected SLIT distance to the VM's
 *           memory; memory unknown: memory follows the vCPUs' nodes)
 *    cache  mean over vCPU pairs of 1 (same core), 0.6 (same L3),
 *           0.3 (same node), 0 (other node)
 *    share  mean over vCPUs of the CPU share it gets: C(k)/n on a core
 *           running n vCPUs on k busy PUs, C(k) = 1 + 0.3 (k - 1) (an SMT
 *           sibling adds ~30%)
 *    spread 1 - total variation distance between the VM's vCPUs per node
 *           and its target (memory share for BANDWIDTH_OPTIMIZED, usable
 *           PUs per node for LOAD_BALANCED)
 * weighted LOCAL_FIRST 0.5 loc + 0.2 cache + 0.3 share; LOAD_BALANCED
 * 0.5 spread + 0.5 share; BANDWIDTH_OPTIMIZED 0.6 spread + 0.3 share +
 * 0.1 cache.
 *
 * Thread safety: a plan is used by one thread at a time; different plans
 * on the same topology may be used concurrently.
 */
#ifndef VMACCEL_AFFINITY_H
#define VMACCEL_AFFINITY_H

#include "common.h"
#include "topology.h"
#include "vm.h"

VMACCEL_BEGIN_DECLS

typedef enum vmaccel_strategy {
    VMACCEL_STRATEGY_LOCAL_FIRST = 0,
    VMACCEL_STRATEGY_LOAD_BALANCED = 1,
    VMACCEL_STRATEGY_BANDWIDTH_OPTIMIZED = 2,
    VMACCEL_STRATEGY_ADAPTIVE = 3,
    VMACCEL_STRATEGY_COUNT_ = 4
} vmaccel_strategy;

/* "local-first", "load-balanced", "bandwidth-optimized", "adaptive", or
 * "unknown". Never NULL. */
VMACCEL_API const char *vmaccel_strategy_name(vmaccel_strategy s);

/* Parses a name as printed by vmaccel_strategy_name (also accepts '_' for
 * '-'). VMACCEL_EINVAL if unknown. */
VMACCEL_API int vmaccel_strategy_parse(const char *name, vmaccel_strategy *out);

/* What to do with SMT siblings (hardware threads of one core). */
typedef enum vmaccel_smt_policy {
    /* Idle cores first; a core's sibling threads once every usable core
     * has a vCPU. Best per-vCPU throughput. */
    VMACCEL_SMT_SPREAD = 0,
    /* A VM's vCPUs fill the sibling threads of a core before taking the
     * next core: shares L1/L2, costs throughput. */
    VMACCEL_SMT_PACK = 1,
    /* Only the first usable PU of each core is used. */
    VMACCEL_SMT_ONE_PER_CORE = 2
} vmaccel_smt_policy;

/* ---- Planning without VMs (what-if, `vmaccel plan`) ---- */

typedef struct vmaccel_plan vmaccel_plan;

#define VMACCEL_PLAN_OPTIONS_VERSION 1
typedef struct vmaccel_plan_options {
    unsigned version;            /* VMACCEL_PLAN_OPTIONS_VERSION */
    vmaccel_strategy strategy;   /* for every VM of the plan */
    vmaccel_smt_policy smt;
    /* OS CPUs kept for the host and the VMM's emulator threads, as a
     * cpulist ("0,1"); NULL or "": none. */
    const char *reserved_cpus;
} vmaccel_plan_options;

#define VMACCEL_PLAN_OPTIONS_INIT { VMACCEL_PLAN_OPTIONS_VERSION, \
    VMACCEL_STRATEGY_LOCAL_FIRST, VMACCEL_SMT_SPREAD, NULL }
VMACCEL_API void vmaccel_plan_options_init(vmaccel_plan_options *opts);

/* A plan on `topo` (borrowed: it must outlive the plan). opts may be NULL.
 * Errors: VMACCEL_EINVAL (bad options, unknown strategy), VMACCEL_EPARSE
 * (bad reserved_cpus). Thread safety: any thread. */
VMACCEL_API int vmaccel_plan_new(const vmaccel_topology *topo,
                                 const vmaccel_plan_options *opts,
                                 vmaccel_plan **out);

/* Adds a VM of `vcpus` vCPUs (1..4096). memory_per_node: bytes of its
 * memory on each NUMA node (logical index), `nnodes` entries, or NULL
 * (unknown). *vm_index (may be NULL) receives its index in the plan.
 * Adding a VM discards a computed placement. */
VMACCEL_API int vmaccel_plan_add_vm(vmaccel_plan *plan, unsigned vcpus,
                                    const uint64_t *memory_per_node,
                                    size_t nnodes, unsigned *vm_index);

/* Computes the placement. VMACCEL_ESTATE if no VM was added,
 * VMACCEL_ENOENT if no PU is usable. */
VMACCEL_API int vmaccel_plan_compute(vmaccel_plan *plan);

/* Where vCPU `vcpu` of VM `vm` goes: OS CPU number and logical NUMA node.
 * VMACCEL_ESTATE before vmaccel_plan_compute. */
VMACCEL_API int vmaccel_plan_vcpu(const vmaccel_plan *plan, unsigned vm,
                                  unsigned vcpu, unsigned *cpu,
                                  unsigned *numa_node);

/* The plan's score (see above); `vm` = VMACCEL_NO_INDEX for the whole plan. */
VMACCEL_API int vmaccel_plan_score(const vmaccel_plan *plan, unsigned vm,
                                   double *score);

/* The plan as a vmaccel.v1.DiagnosticReport holding the topology and one
 * Placement per VM (vm_id = VM index). Release *out with vmaccel_buf_free. */
VMACCEL_API int vmaccel_plan_report(const vmaccel_plan *plan,
                                    vmaccel_format format, vmaccel_buf *out);

/* NULL is a no-op. */
VMACCEL_API void vmaccel_plan_free(vmaccel_plan *plan);

/* ---- Pinning a VM's vCPU threads ---- */

typedef enum vmaccel_sched_policy {
    VMACCEL_SCHED_UNCHANGED = 0, /* leave the threads' policy alone */
    VMACCEL_SCHED_OTHER = 1,     /* the normal time-sharing policy */
    VMACCEL_SCHED_FIFO = 2,      /* real-time; needs CAP_SYS_NICE */
    VMACCEL_SCHED_RR = 3         /* real-time; needs CAP_SYS_NICE */
} vmaccel_sched_policy;

#define VMACCEL_PIN_OPTIONS_VERSION 2
typedef struct vmaccel_pin_options {
    unsigned version;            /* VMACCEL_PIN_OPTIONS_VERSION */
    vmaccel_strategy strategy;
    vmaccel_smt_policy smt;
    const char *reserved_cpus;   /* cpulist kept for the host; NULL: none */
    unsigned vcpu_count;         /* pin the first N vCPUs; 0: all */
    int dry_run;                 /* plan and record, change nothing */
    int set_nice;                /* 1: setpriority(nice) on each thread */
    int nice;                    /* -20..19 */
    vmaccel_sched_policy sched;
    int rt_priority;             /* 1..99 for FIFO/RR */
    /* ---- version 2 ---- */
    /* 1: also move vCPUs the operator placed (vmaccel_vcpu_limits:
     * operator_pinned), through the same path (libvirt rewrites its
     * <vcpupin>). 0: leave them where they are. */
    int override_pins;
} vmaccel_pin_options;

#define VMACCEL_PIN_OPTIONS_INIT { VMACCEL_PIN_OPTIONS_VERSION, \
    VMACCEL_STRATEGY_LOCAL_FIRST, VMACCEL_SMT_SPREAD, NULL, 0, 0, 0, 0, \
    VMACCEL_SCHED_UNCHANGED, 0, 0 }
VMACCEL_API void vmaccel_pin_options_init(vmaccel_pin_options *opts);

/* Plans the VM's vCPUs on the manager's topology and pins each vCPU thread
 * to its PU, then sets nice / scheduling policy if asked. First it re-reads
 * each vCPU's limits (vmaccel_vm_vcpu_limits): every vCPU is planned within
 * the CPUs its own thread may use (its cgroup's effective cpuset, per
 * thread), and on PUs of the topology's allowed set that vm-accel may use,
 * minus reserved_cpus. A vCPU the operator placed (libvirt <vcpupin>, a
 * cgroup narrower than its parent's, taskset) is left where it is and its
 * CPU counted as taken, unless override_pins; vCPUs of the manager's other
 * pinned VMs count as load. A VM attached through libvirt is pinned with
 * virDomainPinVcpuFlags (libvirt's view stays true), others with
 * sched_setaffinity. The first change to a thread saves its original
 * affinity, nice and policy for vmaccel_vm_restore_affinity. A
 * VMACCEL_EVENT_VCPUS_PINNED event says what was done, naming the vCPUs
 * left to (or taken from) the operator.
 *
 * Per-thread outcomes (vmaccel_vm_vcpu: result, planned_cpu, pinned;
 * vmaccel_vm_vcpu_limits: kept, overrode): one failing thread
 * (VMACCEL_EGONE: it exited; VMACCEL_EPERM; VMACCEL_EINVAL: the cpuset
 * forbids its CPU) does not stop the others. A vCPU left to the operator
 * has result 0 and planned_cpu where it runs. Returns 0 when every thread
 * succeeded, else the first failure's code with a message summing up all
 * failures. VMACCEL_EGONE without touching any thread when the VMM process
 * is gone or its pid now names another process. Options of version 1 are
 * accepted (override_pins 0).
 * Platforms: Linux; Windows pins through SetThreadGroupAffinity (a set
 * spanning processor groups needs Windows 11's CPU set masks, else
 * VMACCEL_ENOTSUP), maps nice to the seven thread priority levels, and
 * answers VMACCEL_ENOTSUP to SCHED_FIFO/SCHED_RR.
 * Thread safety: any thread; serialised per VM. */
VMACCEL_API int vmaccel_vm_pin(vmaccel_vm *vm, const vmaccel_pin_options *opts);

/* The seed's configure_vcpu_affinity: vmaccel_vm_pin with `strategy` for
 * the first vcpu_count vCPUs (0: all; more than the VM has: EINVAL). */
VMACCEL_API int vmaccel_vm_configure_affinity(vmaccel_vm *vm,
                                              unsigned vcpu_count,
                                              vmaccel_strategy strategy);

/* Gives every thread vmaccel changed (or captured for a pin:
 * vmaccel_vm_affinity_state_capture) its saved affinity, nice and policy
 * back. Same per-thread reporting as vmaccel_vm_pin; any other thread is
 * left alone. */
VMACCEL_API int vmaccel_vm_restore_affinity(vmaccel_vm *vm);

/* Reads the original affinity, nice and policy of every thread that
 * vmaccel_vm_pin(vm, opts) would change (the first opts->vcpu_count vCPUs,
 * or all) and records them, with what that pin will change, as the state
 * vmaccel_vm_affinity_state returns, without changing any thread. Call it
 * before vmaccel_vm_pin and store the state first: a process that dies
 * mid-pin then leaves the originals behind. A thread saved already keeps
 * its first originals. A dry run captures nothing. Restoring a thread the
 * pin then did not change writes back what it has: harmless.
 *
 * Per-thread outcomes as vmaccel_vm_pin (vmaccel_vm_vcpu: result);
 * returns 0 when every thread was read, else the first failure's code with
 * a message listing them; VMACCEL_EGONE when the VMM is gone.
 * Thread safety: any thread; serialised per VM. */
VMACCEL_API int vmaccel_vm_affinity_state_capture(vmaccel_vm *vm,
                                                  const vmaccel_pin_options *opts);

/* The saved originals as JSON (pid, process start time, per thread: tid,
 * start time, cpulist, nice, policy, priority, and which of them a restore
 * gives back), so that another process (e.g. `vmaccel pin --restore`) can
 * restore them. Release with vmaccel_buf_free. VMACCEL_ESTATE when nothing
 * was saved. */
VMACCEL_API int vmaccel_vm_affinity_state(const vmaccel_vm *vm, vmaccel_buf *out);

/* Loads originals saved by vmaccel_vm_affinity_state into this VM, so
 * vmaccel_vm_restore_affinity restores them. The state must be for this
 * very process (pid and start time), else VMACCEL_ESTATE; threads that no
 * longer exist (tid and start time) are skipped. VMACCEL_EPARSE on
 * malformed JSON. */
VMACCEL_API int vmaccel_vm_affinity_state_load(vmaccel_vm *vm, const char *json,
                                               size_t len);

VMACCEL_END_DECLS

#endif /* VMACCEL_AFFINITY_H */
