/*
 * Internal, Windows only: the few POSIX names the shared runtime and CLI
 * use that mingw-w64 lacks or spells differently. The `windows` build
 * force-includes this header (cmake/windows.cmake), so shared files need
 * no #ifdef for them. Anything that is not a spelling difference lives
 * behind the platform seam (platform/windows*.c) instead of here.
 */
#ifndef VA_PLATFORM_WINDOWS_POSIX_H
#define VA_PLATFORM_WINDOWS_POSIX_H

#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Handles are not inherited by default on Windows: nothing to close on exec. */
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* No symbolic links to tell apart in the trees the probes walk. */
#define lstat(path, st) stat((path), (st))

/* mingw-w64 has no getline; cli/windows_getline.c defines it for the CLI
 * (`vmaccel plot` reads records of any length). */
ssize_t getline(char **line, size_t *cap, FILE *f);

/* No POSIX signals are delivered to threads on Windows, so a thread's
 * signal mask is always empty: blocking "all" changes nothing. */
#ifndef _POSIX
typedef _sigset_t sigset_t;
#endif
static inline int va_windows_sigfillset(sigset_t *set)
{
    *set = ~(sigset_t)0;
    return 0;
}
#define sigfillset va_windows_sigfillset
#undef pthread_sigmask
static inline int va_windows_pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    (void)how;
    (void)set;
    if (old)
        *old = 0;
    return 0;
}
#define pthread_sigmask va_windows_pthread_sigmask

#endif /* _WIN32 */
#endif
