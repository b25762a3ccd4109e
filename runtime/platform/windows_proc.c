/* The /proc texts the runtime reads about a VMM, made from Win32 so that
 * runtime/vmm parses Windows processes as it parses Linux ones:
 *  - comm: a thread's description (SetThreadDescription; QEMU names vCPU
 *    threads "CPU 0/WHPX"), else the process's executable name;
 *  - stat: a proc(5) line carrying what vmm reads: the start time (field
 *    22, the creation time in 100 ns units, so a recycled id is told
 *    apart) and the last CPU (field 39: -1, Windows does not say where
 *    another thread last ran);
 *  - maps: the committed regions (VirtualQueryEx), anonymous unless a
 *    file or section backs them.
 * Any other name is VMACCEL_ENOTSUP: Windows has no such file to mirror
 * (numa_maps, sched, cmdline of another process, ...). */
#include "platform/windows_priv.h"

#include "core/error.h"

#include <psapi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growable text. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static bool put(text *t, const char *fmt, ...) __attribute__((format(gnu_printf, 2, 3)));
static bool put(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = t->s ? vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap) : -1;
        va_end(ap);
        if (t->s && n < 0)
            return false; /* an encoding error, not a short buffer */
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return true;
        }
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        while (n >= 0 && ncap < t->len + (size_t)n + 1)
            ncap *= 2;
        char *ns = realloc(t->s, ncap);
        if (!ns)
            return false;
        t->s = ns;
        t->cap = ncap;
    }
}

static int hand_out(text *t, bool ok, const char *name, int pid, char **out, size_t *len)
{
    if (!ok) {
        free(t->s);
        return va_fail(VMACCEL_ENOMEM, "out of memory making %s of %d", name, pid);
    }
    *out = t->s;
    *len = t->len;
    return 0;
}

/* ---- comm ---- */

static void process_name(HANDLE proc, char *buf, size_t len)
{
    char path[MAX_PATH];
    DWORD n = sizeof path;
    snprintf(buf, len, "?");
    if (QueryFullProcessImageNameA(proc, 0, path, &n)) {
        const char *base = strrchr(path, '\\');
        snprintf(buf, len, "%s", base ? base + 1 : path);
    }
}

/* Windows 10 1607 and later; mingw-w64's headers do not declare it yet,
 * and looking it up keeps older Windows able to load the library. */
typedef HRESULT(WINAPI *get_description_fn)(HANDLE thread, PWSTR *desc);

static bool thread_description(HANDLE th, char *buf, size_t len)
{
    FARPROC f = va_win_kernel32("GetThreadDescription");
    if (!f)
        return false;
    get_description_fn get_description;
    memcpy(&get_description, &f, sizeof get_description);
    PWSTR desc = NULL;
    bool named = false;
    if (SUCCEEDED(get_description(th, &desc)) && desc && *desc)
        named = WideCharToMultiByte(CP_UTF8, 0, desc, -1, buf, (int)len, NULL, NULL) > 0;
    LocalFree(desc);
    return named;
}

/* The thread (tid > 0 and not the process) must belong to pid. */
static int open_member(int pid, int tid, HANDLE *th)
{
    int rc = va_win_open_thread(tid, THREAD_QUERY_LIMITED_INFORMATION, "OpenThread", th);
    if (!rc && GetProcessIdOfThread(*th) != (DWORD)pid) {
        CloseHandle(*th);
        rc = va_fail(VMACCEL_EGONE, "/proc/%d/task/%d: thread %d is not in process %d",
                     pid, tid, tid, pid);
    }
    return rc;
}

static int make_comm(HANDLE proc, int pid, int tid, text *t)
{
    char name[256];
    HANDLE th = NULL;
    if (tid > 0 && tid != pid) {
        int rc = open_member(pid, tid, &th);
        if (rc)
            return rc;
    }
    if (!th || !thread_description(th, name, sizeof name))
        process_name(proc, name, sizeof name);
    if (th)
        CloseHandle(th);
    return put(t, "%s\n", name) ? 0 : VMACCEL_ENOMEM;
}

/* ---- stat ---- */

static unsigned long long ticks(FILETIME ft)
{
    return (unsigned long long)ft.dwHighDateTime << 32 | ft.dwLowDateTime;
}

static int make_stat(HANDLE proc, int pid, int tid, text *t)
{
    FILETIME created, exited, kernel, user;
    BOOL ok;
    if (tid > 0 && tid != pid) {
        HANDLE th;
        int rc = open_member(pid, tid, &th);
        if (rc)
            return rc;
        ok = GetThreadTimes(th, &created, &exited, &kernel, &user);
        CloseHandle(th);
    } else {
        ok = GetProcessTimes(proc, &created, &exited, &kernel, &user);
    }
    if (!ok)
        return va_win_fail(GetLastError(), "GetThreadTimes", tid > 0 ? tid : pid);
    /* proc(5) fields 1..52; 22 = start time, 39 = last CPU (unknown). */
    bool fine = put(t, "%d (x) R", tid > 0 ? tid : pid);
    for (unsigned f = 4; fine && f <= 52; f++)
        fine = f == 22   ? put(t, " %llu", ticks(created))
               : f == 39 ? put(t, " -1")
                         : put(t, " 0");
    return fine && put(t, "\n") ? 0 : VMACCEL_ENOMEM;
}

/* ---- maps ---- */

static const char *perms(DWORD protect)
{
    switch (protect & 0xff) {
    case PAGE_READONLY: return "r--";
    case PAGE_READWRITE: return "rw-";
    case PAGE_WRITECOPY: return "rw-";
    case PAGE_EXECUTE: return "--x";
    case PAGE_EXECUTE_READ: return "r-x";
    case PAGE_EXECUTE_READWRITE: return "rwx";
    case PAGE_EXECUTE_WRITECOPY: return "rwx";
    default: return "---";
    }
}

static bool put_region(HANDLE proc, const MEMORY_BASIC_INFORMATION *mb, text *t)
{
    char path[MAX_PATH] = "";
    if (mb->Type != MEM_PRIVATE &&
        !GetMappedFileNameA(proc, mb->BaseAddress, path, sizeof path))
        path[0] = '\0';
    uintptr_t start = (uintptr_t)mb->BaseAddress;
    return put(t, "%llx-%llx %s%c 00000000 00:00 0 %s\n", (unsigned long long)start,
               (unsigned long long)(start + mb->RegionSize), perms(mb->Protect),
               mb->Type == MEM_PRIVATE ? 'p' : 's', path);
}

static int make_maps(HANDLE proc, int pid, text *t)
{
    MEMORY_BASIC_INFORMATION mb;
    const char *addr = NULL;
    bool fine = put(t, "%s", "");
    while (fine && VirtualQueryEx(proc, addr, &mb, sizeof mb) == sizeof mb) {
        if (mb.State == MEM_COMMIT && !(mb.Protect & (PAGE_GUARD | PAGE_NOACCESS)))
            fine = put_region(proc, &mb, t);
        const char *next = (const char *)mb.BaseAddress + mb.RegionSize;
        if (next <= addr)
            break;
        addr = next;
    }
    if (!fine)
        return VMACCEL_ENOMEM;
    DWORD err = GetLastError();
    if (t->len == 0 && err != ERROR_INVALID_PARAMETER)
        return va_win_fail(err, "VirtualQueryEx", pid);
    return 0;
}

int va_win_read_proc(const va_platform *p, int pid, int tid, const char *name,
                     char **out, size_t *len)
{
    (void)p;
    bool comm = !strcmp(name, "comm"), stat = !strcmp(name, "stat"),
         maps = !strcmp(name, "maps");
    if (!comm && !stat && !maps)
        return va_fail(VMACCEL_ENOTSUP, "/proc/%d/%s: Windows has no equivalent the "
                       "Windows build reads", pid, name);
    DWORD access = PROCESS_QUERY_LIMITED_INFORMATION;
    if (maps)
        access = PROCESS_QUERY_INFORMATION | PROCESS_VM_READ;
    HANDLE proc;
    int rc = va_win_open_process(pid, access, "OpenProcess", &proc);
    if (rc)
        return rc;
    text t = {0};
    rc = comm ? make_comm(proc, pid, tid, &t)
         : stat ? make_stat(proc, pid, tid, &t)
                : make_maps(proc, pid, &t);
    CloseHandle(proc);
    if (rc && rc != VMACCEL_ENOMEM) {
        free(t.s);
        return rc;
    }
    return hand_out(&t, rc == 0, name, pid, out, len);
}
