/* Internal: the host-CPU operations of each platform (online CPUs, the
 * CPUs this process may use, a thread's cgroup cpuset), bound into their va_platform tables by
 * linux.c and sim.c. */
#ifndef VA_PLATFORM_CPUS_H
#define VA_PLATFORM_CPUS_H

#include "platform/platform.h"

int va_lx_online_cpus(const va_platform *p, va_cpumask *cpus);
int va_lx_allowed_cpus(const va_platform *p, va_cpumask *cpus);
int va_lx_thread_cpuset(const va_platform *p, int pid, int tid, va_thread_cpuset *out);

int va_lx_cpu_times(const va_platform *p, uint64_t *busy_ns, unsigned ncpus);
int va_sim_cpu_times(const va_platform *p, uint64_t *busy_ns, unsigned ncpus);

int va_sim_online_cpus(const va_platform *p, va_cpumask *cpus);
int va_sim_allowed_cpus(const va_platform *p, va_cpumask *cpus);
int va_sim_thread_cpuset(const va_platform *p, int pid, int tid, va_thread_cpuset *out);

#endif
