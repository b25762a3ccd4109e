/*
 * Internal: a simulated host behind the platform seam (platform.h), for
 * tests and demos on any machine. Deterministic: start times come from a
 * counter, fds from a counter, nothing from the real OS.
 *
 * What it models, like Linux does:
 *  - processes with threads (the main thread's tid is the pid), names
 *    (comm), start times; a pid may be reused after exit with a new start
 *    time, and a pidfd keeps referring to the old process (gone);
 *  - per-thread affinity clipped to the process's cpuset, or the thread's
 *    own cgroup cpuset (va_sim_set_thread_cgroup) (EINVAL when the request
 *    and the cpuset do not intersect), nice, policy and priority;
 *  - CPU hotplug and the cpuset of vm-accel's own process (sim_cpus.c);
 *  - /proc text: comm, stat (pid, comm, state, starttime at field 22,
 *    processor at 39) and status (Name, Pid, Cpus_allowed_list) are
 *    synthesised; any other file (maps, schedstat, numa_maps...) is served
 *    from scripted text (va_sim_set_file), which also overrides them;
 *  - failures: va_sim_deny makes an operation fail with a given code,
 *    va_sim_on_action runs a callback just before each action on a thread
 *    (to make a thread exit between a check and the syscall).
 * Processes, threads and scripted files live in growing tables with
 * indices, so a sim of thousands of VMs costs what one does per lookup.
 * Thread safety: every call takes the sim's lock.
 */
#ifndef VA_PLATFORM_SIM_H
#define VA_PLATFORM_SIM_H

#include "platform/platform.h"

typedef struct va_sim va_sim;

typedef enum va_sim_op {
    VA_SIM_SET_AFFINITY = 0,
    VA_SIM_SET_NICE = 1,
    VA_SIM_SET_SCHED = 2,
    VA_SIM_PIDFD_OPEN = 3,
    VA_SIM_THREAD_STOP = 4,
    VA_SIM_OP_COUNT_ = 5
} va_sim_op;

/* A host whose online CPUs are `online` (a cpulist, e.g. "0-7"). */
int va_sim_new(const char *online, va_sim **out);
void va_sim_free(va_sim *s);
const va_platform *va_sim_platform(va_sim *s);

int va_sim_spawn(va_sim *s, int pid, const char *comm);
int va_sim_add_thread(va_sim *s, int pid, int tid, const char *comm);
int va_sim_exit_thread(va_sim *s, int pid, int tid);
int va_sim_exit(va_sim *s, int pid);
/* The process's cgroup cpuset; its threads' affinities are clipped to it. */
int va_sim_set_cpuset(va_sim *s, int pid, const char *cpulist);
/* Moves thread `tid` into its own cgroup `path` whose effective cpuset is
 * `cpus` and mems `mems` (cpulists; mems may be ""), below a parent whose
 * effective CPUs are `parent_cpus` (NULL: the root, no parent). Like the
 * kernel, the thread's affinity becomes the cgroup's CPUs, and later
 * affinities are clipped to them. */
int va_sim_set_thread_cgroup(va_sim *s, int tid, const char *path, const char *cpus,
                             const char *mems, const char *parent_cpus);
/* CPU hotplug: the online CPUs become `cpulist` (not empty). Like the
 * kernel, a thread whose mask keeps no online CPU falls back to its
 * process's cpuset, and one last seen on an offline CPU moves to an online
 * one; cpusets keep their offline CPUs but act on the online ones only. */
int va_sim_set_online(va_sim *s, const char *cpulist);
/* The cgroup cpuset of the process vm-accel itself runs in (allowed_cpus:
 * this set's online CPUs); all online CPUs at first. */
int va_sim_set_own_cpuset(va_sim *s, const char *cpulist);
/* CPU `cpu` has been busy `busy_ns` since boot (the platform's cpu_times,
 * like /proc/stat): scripts load from threads the engine does not watch. */
int va_sim_set_cpu_busy(va_sim *s, unsigned cpu, uint64_t busy_ns);
/* Where a thread last ran (field 39 of stat). */
int va_sim_set_last_cpu(va_sim *s, int tid, int cpu);
/* Scripted /proc/PID/NAME (tid 0) or /proc/PID/task/TID/NAME. */
int va_sim_set_file(va_sim *s, int pid, int tid, const char *name, const char *text);
/* Makes `op` fail with `code` (0: succeed again). */
void va_sim_deny(va_sim *s, va_sim_op op, int code);
/* fn(s, tid, arg) runs (without the lock) before each set_affinity,
 * set_nice, set_sched and thread_stop. NULL removes it. */
void va_sim_on_action(va_sim *s, void (*fn)(va_sim *s, int tid, void *arg), void *arg);
/* How often thread `tid` was stopped (thread_stop) and whether it is
 * stopped now. */
int va_sim_thread_stops(va_sim *s, int tid, unsigned *stops, bool *stopped);

#endif
