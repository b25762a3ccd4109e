/* Internal: each platform's thread_stop/thread_resume (platform.h), bound
 * into its va_platform table by linux.c and sim.c. */
#ifndef VA_PLATFORM_STOP_H
#define VA_PLATFORM_STOP_H

#include "platform/platform.h"

int va_lx_thread_stop(const va_platform *p, int pid, int tid, int *sig);
int va_lx_thread_resume(const va_platform *p, int tid, int sig);

int va_sim_thread_stop(const va_platform *p, int pid, int tid, int *sig);
int va_sim_thread_resume(const va_platform *p, int tid, int sig);

#endif
