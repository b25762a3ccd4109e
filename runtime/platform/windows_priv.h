/* Internal, Windows only: what the files of the Windows platform seam
 * (windows.c, windows_proc.c, windows_cpus.c) share.
 *
 * CPU numbers are hwloc's on Windows: processor group g, bit b is CPU
 * g*64+b, so a va_cpumask word is one group's KAFFINITY. Thread and
 * process ids are Windows' (one namespace: a thread id never equals a live
 * process id, so tid == pid names the process, as on Linux). */
#ifndef VA_PLATFORM_WINDOWS_PRIV_H
#define VA_PLATFORM_WINDOWS_PRIV_H

#include "platform/platform.h"

#include <windows.h>

#define VA_WIN_GROUPS (VA_MAX_CPUS / 64)

/* A VMACCEL_E* code and message for a failed Win32 call on object `id`,
 * worded like the Linux seam's ("what(id): No such process"). */
int va_win_fail(DWORD err, const char *what, int id);

/* Opens a live thread (VMACCEL_EGONE if it does not exist or has exited;
 * *out is NULL then). SYNCHRONIZE is added to `access`. */
int va_win_open_thread(int tid, DWORD access, const char *what, HANDLE *out);
/* The same for a process. */
int va_win_open_process(int pid, DWORD access, const char *what, HANDLE *out);

/* A kernel32 function newer than the oldest Windows the library loads on
 * (NULL where it is missing). */
FARPROC va_win_kernel32(const char *name);

/* /proc texts the runtime reads, made from Win32 (windows_proc.c). */
int va_win_read_proc(const va_platform *p, int pid, int tid, const char *name,
                     char **text, size_t *len);

/* Host CPUs and memory (windows_cpus.c). */
int va_win_online_cpus(const va_platform *p, va_cpumask *cpus);
int va_win_allowed_cpus(const va_platform *p, va_cpumask *cpus);
int va_win_cpuset_of(const va_platform *p, int pid, va_cpumask *cpus);
int va_win_move_pages(const va_platform *p, int pid, size_t count,
                      void *const *pages, const int *nodes, int *status);
int va_win_migrate_pages(const va_platform *p, int pid, int to_node, uint64_t *not_moved);
int va_win_cpu_times(const va_platform *p, uint64_t *busy_ns, unsigned ncpus);
int va_win_read_node(const va_platform *p, int node, const char *name,
                     char **text, size_t *len);
uint64_t va_win_now_ns(const va_platform *p);

#endif
