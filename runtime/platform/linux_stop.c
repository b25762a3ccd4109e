/* Stopping another process's thread while its memory moves (platform.h:
 * thread_stop, thread_resume), through ptrace.
 *
 * Why ptrace and not SIGSTOP: a SIGSTOP stops the whole process, and if
 * vm-accel died before its SIGCONT the VM would stay stopped. A thread
 * stopped with PTRACE_SEIZE + PTRACE_INTERRUPT stops alone, and the kernel
 * lets it run again if its tracer exits, however it exits. */
#include "platform/platform_stop.h"

#include "core/error.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

static int ptrace_fail(int err, const char *what, int tid)
{
    const char *hint = err == EPERM ? " (another tracer, such as a debugger, holds it, or "
                                      "this process may not trace it: CAP_SYS_PTRACE, "
                                      "kernel.yama.ptrace_scope)" : "";
    return va_fail(err == ESRCH ? VMACCEL_EGONE : va_errno_code(err), "%s(thread %d): %s%s",
                   what, tid, strerror(err), hint);
}

/* Waits for the interrupted thread's stop. A signal that reached it first
 * stops it too (a signal-delivery stop): that signal goes back on resume. */
static int wait_stopped(int tid, int *sig)
{
    for (;;) {
        int status;
        if (waitpid(tid, &status, __WALL) < 0) {
            if (errno == EINTR)
                continue;
            return ptrace_fail(errno, "waitpid", tid);
        }
        if (!WIFSTOPPED(status))
            return va_fail(VMACCEL_EGONE, "thread %d exited while being stopped", tid);
        *sig = status >> 16 == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(status);
        return 0;
    }
}

int va_lx_thread_stop(const va_platform *p, int pid, int tid, int *sig)
{
    (void)p;
    (void)pid; /* ptrace names the thread alone */
    *sig = 0;
    if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0)
        return ptrace_fail(errno, "ptrace(PTRACE_SEIZE)", tid);
    int rc = ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0
                 ? ptrace_fail(errno, "ptrace(PTRACE_INTERRUPT)", tid)
                 : wait_stopped(tid, sig);
    if (rc)
        ptrace(PTRACE_DETACH, tid, NULL, NULL);
    return rc;
}

/* A traced thread that exits (its VM was killed while stopped) stays a
 * zombie until its tracer waits for it, and keeps its whole process from
 * being reaped: wait for it, briefly. Not ours (ECHILD), or still alive
 * after 50 ms: nothing to do. */
static void reap_exited(int tid)
{
    for (int i = 0; i < 50; i++) {
        int status;
        if (waitpid(tid, &status, __WALL | WNOHANG) != 0)
            return;
        usleep(1000);
    }
}

int va_lx_thread_resume(const va_platform *p, int tid, int sig)
{
    (void)p;
    if (ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)sig) < 0) {
        int err = errno;
        if (err == ESRCH)
            reap_exited(tid);
        return ptrace_fail(err, "ptrace(PTRACE_DETACH)", tid);
    }
    return 0;
}
