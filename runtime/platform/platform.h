/*
 * Internal: the seam between vm-accel and the OS.
 *
 * Every read of /proc and /sys about *other* processes and every action on
 * their threads (affinity, priority, later page moves) goes through a
 * va_platform, a table of function pointers. Three implementations:
 *  - linux.c: real syscalls (pidfd_open, sched_setaffinity, setpriority,
 *    sched_setscheduler) and real /proc, /sys reads;
 *  - windows.c (Windows builds instead of linux.c): Win32 calls (process
 *    handles, SetThreadGroupAffinity or CPU sets, SetThreadPriority); it
 *    makes the /proc texts the runtime reads (comm, stat, maps) from Win32
 *    and answers VMACCEL_ENOTSUP, with a message, for what Windows cannot
 *    do (moving or locating another process's pages, real-time policies);
 *  - sim.c: a simulated host (processes, threads, cpusets, scripted /proc
 *    files, injected failures), deterministic, for tests on any machine.
 * A VM may also have a platform of its own that wraps linux.c for a
 * management layer owning it: vmm/libvirt/platform.c acts through libvirt
 * (set_affinity, move_pages) and reports libvirt's placement
 * (managed_placement). Ops that take `p` must call other ops through `p`,
 * never through the linux table directly, so such a wrapper sees them.
 * The planner and the policy never see this seam: they are pure.
 *
 * Conventions for every operation:
 *  - returns 0 or a negative VMACCEL_E* code, with a va_fail() message that
 *    names the object ("sched_setaffinity(tid 4312): No such process");
 *  - ESRCH (thread/process gone) maps to VMACCEL_EGONE, EPERM/EACCES to
 *    VMACCEL_EPERM, EINVAL to VMACCEL_EINVAL (e.g. a mask the cpuset
 *    forbids entirely), ENOENT to VMACCEL_ENOENT;
 *  - buffers handed out (read_proc, list_threads) are malloc'd; the caller
 *    frees them with free();
 *  - `tid` is a kernel thread id; a process's main thread has tid == pid.
 *
 * Growing the seam (the NUMA sampler adds move_pages status queries and
 * numastat reads here): append new function pointers at the end of
 * struct va_platform, implement them in linux.c and sim.c (a sim op that
 * does not model something yet returns VMACCEL_ENOTSUP with a message, never
 * pretends success), and describe them in this comment. Text files under
 * /proc/PID and /proc/PID/task/TID (stat, schedstat, sched, numa_maps,
 * status, maps...) need no new op: read_proc reads any of them, and the sim
 * serves scripted contents for any name (va_sim_set_file).
 *
 * Thread safety: linux and windows are stateless and may be used from any
 * thread; a sim serialises its operations with its own lock.
 */
#ifndef VA_PLATFORM_PLATFORM_H
#define VA_PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VA_MAX_CPUS 4096

/* A set of OS CPU numbers 0..VA_MAX_CPUS-1. */
typedef struct va_cpumask {
    uint64_t bits[VA_MAX_CPUS / 64];
} va_cpumask;

void va_cpumask_zero(va_cpumask *m);
void va_cpumask_set(va_cpumask *m, unsigned cpu);
bool va_cpumask_isset(const va_cpumask *m, unsigned cpu);
unsigned va_cpumask_count(const va_cpumask *m);
bool va_cpumask_empty(const va_cpumask *m);
bool va_cpumask_equal(const va_cpumask *a, const va_cpumask *b);
void va_cpumask_and(va_cpumask *dst, const va_cpumask *a, const va_cpumask *b);
/* dst = a & ~b (dst may be a or b). */
void va_cpumask_andnot(va_cpumask *dst, const va_cpumask *a, const va_cpumask *b);
/* Parses a Linux cpulist ("0-3,8,10-11", whitespace around it allowed).
 * VMACCEL_EPARSE (with a message) on anything else or a CPU >= VA_MAX_CPUS. */
int va_cpumask_parse(const char *list, va_cpumask *m);
/* Formats as a cpulist ("" when empty), truncated to len. */
void va_cpumask_format(const va_cpumask *m, char *buf, size_t len);

/* The cgroup cpuset that governs one thread, as the kernel applies it
 * (thread_cpuset below). Memory nodes use the same bit set, indexed by OS
 * node number. */
typedef struct va_thread_cpuset {
    bool found;               /* a cpuset controller governs the thread;
                                 else cpus = the online CPUs, mems empty */
    int version;              /* 1 (a v1 cpuset hierarchy) or 2 (unified); 0 */
    char path[256];           /* its cgroup in that hierarchy, e.g.
                                 "/machine/qemu-1-lv.libvirt-qemu/vcpu0" */
    va_cpumask cpus;          /* effective CPUs: cpuset.cpus.effective (v2),
                                 cpuset.effective_cpus (v1) */
    va_cpumask mems;          /* effective memory nodes (the .mems twins) */
    bool have_parent;         /* not the root: parent_cpus is known */
    va_cpumask parent_cpus;   /* the parent cgroup's effective CPUs */
    va_cpumask parent_mems;
} va_thread_cpuset;

/* What a management layer that owns a VM (libvirt) says about its
 * placement (managed_placement below). */
typedef struct va_managed_vcpu {
    bool pinned;              /* an explicit placement narrower than the VM's CPUs */
    bool by_vmaccel;          /* ... that vm-accel recorded as its own */
    va_cpumask cpus;
    char source[160];         /* "libvirt <vcpupin vcpu='0' cpuset='1'/>" */
} va_managed_vcpu;

typedef struct va_managed {
    char what[96];            /* "libvirt domain lvtest" */
    size_t nvcpus;
    va_managed_vcpu *vcpus;   /* by vCPU index, malloc'd: free() it */
    bool mem_pinned;          /* the layer holds the memory policy */
    bool mem_strict;          /* ... enforced through cpuset.mems */
    va_cpumask mem_nodes;     /* OS node numbers */
    char mem_source[160];     /* "libvirt <memory mode='strict' nodeset='0'/>" */
} va_managed;

typedef struct va_platform va_platform;

struct va_platform {
    const char *name; /* "linux" or "sim" */
    void *ctx;

    /* ---- processes ---- */
    /* A handle that keeps referring to this process even after its pid is
     * recycled (Linux: pidfd_open). */
    int (*pidfd_open)(const va_platform *p, int pid, int *fd);
    /* 0 while the process runs, VMACCEL_EGONE once it has exited. */
    int (*pidfd_alive)(const va_platform *p, int fd);
    void (*pidfd_close)(const va_platform *p, int fd);
    /* Thread ids of a process, ascending. */
    int (*list_threads)(const va_platform *p, int pid, int **tids, size_t *count);
    /* Whole text of /proc/PID/NAME (tid 0) or /proc/PID/task/TID/NAME,
     * NUL-terminated; *len excludes the NUL. */
    int (*read_proc)(const va_platform *p, int pid, int tid, const char *name,
                     char **text, size_t *len);
    /* CPUs the process's cgroup cpuset lets it run on (all online CPUs when
     * it has no cpuset). The process's main thread only: a VMM's vCPU
     * threads may each have their own cgroup (thread_cpuset). */
    int (*cpuset_of)(const va_platform *p, int pid, va_cpumask *cpus);

    /* ---- thread scheduling ---- */
    int (*get_affinity)(const va_platform *p, int tid, va_cpumask *cpus);
    /* Like the kernel: the thread gets cpus & its cpuset; VMACCEL_EINVAL
     * if that is empty. */
    int (*set_affinity)(const va_platform *p, int tid, const va_cpumask *cpus);
    int (*get_nice)(const va_platform *p, int tid, int *nice);
    int (*set_nice)(const va_platform *p, int tid, int nice);
    /* policy: SCHED_OTHER / SCHED_FIFO / SCHED_RR values of <sched.h>. */
    int (*get_sched)(const va_platform *p, int tid, int *policy, int *priority);
    int (*set_sched)(const va_platform *p, int tid, int policy, int priority);

    /* ---- memory (the NUMA engine: runtime/platform/linux_mem.c, sim_mem.c) ---- */
    /* move_pages(2) on `count` pages of process `pid`. nodes NULL: only
     * asks where each page is (status[i] = its node, or -errno such as
     * -EFAULT for an unmapped page, -ENOENT for one never touched); with
     * nodes: moves page i to nodes[i], status as the kernel reports. */
    int (*move_pages)(const va_platform *p, int pid, size_t count,
                      void *const *pages, const int *nodes, int *status);
    /* Whole text of /sys/devices/system/node/nodeN/NAME (numastat, ...). */
    int (*read_node)(const va_platform *p, int node, const char *name,
                     char **text, size_t *len);
    /* A monotonic clock in nanoseconds (the sim's clock is its own). */
    uint64_t (*now_ns)(const va_platform *p);

    /* ---- host CPUs (the NUMA engine's topology watch: linux_cpus.c,
     * sim_cpus.c) ---- */
    /* CPUs online now (Linux: /sys/devices/system/cpu/online). */
    int (*online_cpus)(const va_platform *p, va_cpumask *cpus);
    /* CPUs this process may use now: its cgroup cpuset (Linux:
     * cpuset.cpus.effective, which drops offline CPUs), all online CPUs
     * when it has none. Not sched_getaffinity: that is one thread's mask,
     * and vmaccel pins threads of its own process (in-process VMs). */
    int (*allowed_cpus)(const va_platform *p, va_cpumask *cpus);

    /* ---- whole-process memory (the NUMA engine's migrator) ---- */
    /* migrate_pages(2): every page of process `pid` on another node moves
     * to `to_node` (the kernel's number); *not_moved gets the pages that
     * could not move. */
    int (*migrate_pages)(const va_platform *p, int pid, int to_node, uint64_t *not_moved);
    /* Busy time of each CPU since boot, busy_ns[cpu] for cpu < ncpus
     * (Linux: /proc/stat user+nice+system+irq+softirq+steal): the engine
     * reads other threads' load on each node from its growth. */
    int (*cpu_times)(const va_platform *p, uint64_t *busy_ns, unsigned ncpus);
    /* true: now_ns moves only when a test advances it (the sim); work
     * that waits for time (the migrator's budget) then runs inline. */
    bool manual_clock;
    /* ---- per-thread constraints (linux_cgroup.c, sim_cpus.c) ---- */
    /* The cgroup cpuset of thread `tid` of process `pid` (each thread may
     * sit in its own cgroup: libvirt puts every vCPU thread in one).
     * VMACCEL_EGONE when the thread has exited. */
    int (*thread_cpuset)(const va_platform *p, int pid, int tid, va_thread_cpuset *out);

    /* ---- stopping a VM's threads while its memory moves (the migrator's
     * stop_vcpus: linux_stop.c, sim.c); NULL where unsupported ---- */
    /* Stops thread `tid` of process `pid` (another process) until
     * thread_resume, which must run on the same thread of this process
     * (Linux: ptrace; if this process exits first, the kernel lets the
     * thread run again). *sig: a signal the stop caught, which
     * thread_resume delivers. VMACCEL_EGONE: the thread exited;
     * VMACCEL_EPERM: another tracer holds it, or no permission. */
    int (*thread_stop)(const va_platform *p, int pid, int tid, int *sig);
    int (*thread_resume)(const va_platform *p, int tid, int sig);

    /* ---- a management layer that owns the VM (a per-VM platform: libvirt,
     * vmm/libvirt_platform.c); NULL on linux and sim ---- */
    /* Its placement of the VM's vCPUs and memory, read live. */
    int (*managed_placement)(const va_platform *p, va_managed *out);
};

/* The CPUs vCPUs may be planned on now: online_cpus & allowed_cpus.
 * VMACCEL_ENOENT (with a message) when that is empty. */
int va_platform_usable_cpus(const va_platform *p, va_cpumask *usable);

/* The real OS (Linux). Never NULL. Built on Linux only (linux.c). */
const va_platform *va_platform_linux(void);

/* The real OS this library was built for: linux.c's table on Linux,
 * windows.c's on Windows. Never NULL. */
const va_platform *va_platform_os(void);

#endif
