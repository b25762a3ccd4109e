/* A stand-in for QEMU with WHPX on Windows: N threads named like QEMU's
 * vCPU threads ("CPU 0/WHPX", ...) through SetThreadDescription, plus an
 * unnamed one. It prints "pid P" and the vCPU thread ids, then on each
 * line of standard input:
 *   affinity  prints each vCPU thread's "group:mask" (GetThreadGroupAffinity)
 *   priority  prints each vCPU thread's GetThreadPriority
 *   quit      ends (so does end of input)
 * Used by tests/windows/pin.sh under Wine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

typedef HRESULT(WINAPI *set_description_fn)(HANDLE thread, PCWSTR desc);

static HANDLE stop;

static DWORD WINAPI vcpu(void *arg)
{
    (void)arg;
    WaitForSingleObject(stop, INFINITE);
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2;
    if (n < 1 || n > 64)
        return 2;
    FARPROC f = GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "SetThreadDescription");
    if (!f) {
        fprintf(stderr, "no SetThreadDescription on this Windows\n");
        return 1;
    }
    set_description_fn set_description;
    memcpy(&set_description, &f, sizeof set_description);
    stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE threads[65];
    DWORD tids[65];
    for (int i = 0; i <= n; i++) {
        threads[i] = CreateThread(NULL, 0, vcpu, NULL, 0, &tids[i]);
        wchar_t name[32];
        swprintf(name, 32, i < n ? L"CPU %d/WHPX" : L"worker %d", i);
        if (!threads[i] || FAILED(set_description(threads[i], name)))
            return 1;
    }
    printf("pid %lu\n", (unsigned long)GetCurrentProcessId());
    for (int i = 0; i < n; i++)
        printf("vcpu %d tid %lu\n", i, (unsigned long)tids[i]);
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin) && strncmp(line, "quit", 4)) {
        for (int i = 0; i < n; i++) {
            GROUP_AFFINITY ga;
            if (!strncmp(line, "affinity", 8) && GetThreadGroupAffinity(threads[i], &ga))
                printf("vcpu %d affinity %u:%llx\n", i, ga.Group,
                       (unsigned long long)ga.Mask);
            else if (!strncmp(line, "priority", 8))
                printf("vcpu %d priority %d\n", i, GetThreadPriority(threads[i]));
        }
        printf("done\n");
        fflush(stdout);
    }
    SetEvent(stop);
    WaitForMultipleObjects((DWORD)n + 1, threads, TRUE, 5000);
    return 0;
}
