/*
 * qemu_pin: vCPU pinning on a real VMM.
 *
 * Starts `qemu-system-x86_64 -name e2e,debug-threads=on -accel tcg -smp 4
 * -m 128 -display none -S`,
 * attaches to it through the public API, pins its vCPUs and checks, in
 * /proc/PID/task/TID/status, that every "CPU n/TCG" thread's
 * Cpus_allowed_list is the single CPU the plan chose; restores and checks
 * the original lists are back; then kills QEMU and checks that the VM is
 * reported gone and nothing is acted on. Exit 77 (skip) only when
 * qemu-system-x86_64 is not installed.
 */
#define _GNU_SOURCE
#include <vmaccel/vmaccel.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SKIP 77
#define VCPUS 4

static int failures;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static const char *find_qemu(void)
{
    static char path[512];
    const char *env = getenv("PATH");
    char *dirs = strdup(env ? env : "/usr/bin:/bin"), *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(path, sizeof path, "%s/qemu-system-x86_64", d);
        if (access(path, X_OK) == 0) {
            free(dirs);
            return path;
        }
    }
    free(dirs);
    return NULL;
}

static int read_line(const char *path, const char *key, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, strlen(key))) {
            const char *v = line + strlen(key);
            while (*v == ' ' || *v == '\t')
                v++;
            snprintf(out, len, "%s", v);
            out[strcspn(out, "\n")] = '\0';
            fclose(f);
            return 0;
        }
    fclose(f);
    return -1;
}

/* The tids of threads named "CPU n/TCG", by n; returns how many. */
static int tcg_threads(pid_t pid, int tids[VCPUS])
{
    char dir[64], path[128], comm[64];
    int found = 0;
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int tid = atoi(e->d_name), n;
        snprintf(path, sizeof path, "%s/%d/comm", dir, tid);
        FILE *f = tid > 0 ? fopen(path, "r") : NULL;
        if (!f)
            continue;
        if (fgets(comm, sizeof comm, f) && sscanf(comm, "CPU %d/TCG", &n) == 1 &&
            n >= 0 && n < VCPUS) {
            tids[n] = tid;
            found++;
        }
        fclose(f);
    }
    if (d)
        closedir(d);
    return found;
}

static void status_cpus(pid_t pid, int tid, char *out, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, tid);
    if (read_line(path, "Cpus_allowed_list:", out, len))
        snprintf(out, len, "?");
}

static pid_t start_qemu(const char *qemu)
{
    pid_t pid = fork();
    if (pid == 0) {
        /* -S: the vCPU threads exist but wait, so the test costs no CPU. */
        /* debug-threads=on names the vCPU threads "CPU n/TCG" (libvirt
         * always sets it; without it QEMU leaves every thread unnamed). */
        execl(qemu, qemu, "-name", "e2e,debug-threads=on", "-accel", "tcg", "-smp", "4",
              "-m", "128", "-display", "none", "-S", "-nodefaults", "-no-user-config",
              "-monitor", "none", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int wait_threads(pid_t pid, int tids[VCPUS])
{
    for (int i = 0; i < 200; i++) {
        if (tcg_threads(pid, tids) == VCPUS)
            return 0;
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return -1;
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

static void check_pinned(vmaccel_vm *vm, pid_t pid, const int tids[VCPUS])
{
    int used[2] = {0, 0};
    for (unsigned i = 0; i < VCPUS; i++) {
        vmaccel_vcpu_info v = VMACCEL_VCPU_INFO_INIT;
        char cpus[128], want[32];
        CHECK(vmaccel_vm_vcpu(vm, i, &v) == 0, "%s", vmaccel_error_last());
        CHECK(v.tid == tids[i], "vCPU %u: tid %d, /proc says %d", i, v.tid, tids[i]);
        CHECK(v.result == 0 && v.pinned, "vCPU %u: result %d pinned %d", i, v.result,
              v.pinned);
        status_cpus(pid, tids[i], cpus, sizeof cpus);
        snprintf(want, sizeof want, "%d", v.planned_cpu);
        CHECK(!strcmp(cpus, want), "CPU %u/TCG: Cpus_allowed_list %s, planned %s", i,
              cpus, want);
        if (v.planned_cpu >= 0 && v.planned_cpu < 2)
            used[v.planned_cpu]++;
    }
    /* Four vCPUs on CPUs 0-1 load-balanced: two each. */
    CHECK(used[0] == 2 && used[1] == 2, "CPU 0 got %d vCPUs, CPU 1 got %d", used[0],
          used[1]);
}

static void check_gone(vmaccel_vm *vm, pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    vmaccel_pin_options o = VMACCEL_PIN_OPTIONS_INIT;
    CHECK(vmaccel_vm_pin(vm, &o) == VMACCEL_EGONE, "pin after exit: %s",
          vmaccel_error_last());
    CHECK(vmaccel_vm_refresh(vm) == VMACCEL_EGONE, "refresh after exit");
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    CHECK(vmaccel_vm_info_get(vm, &info) == 0 && info.gone, "VM not marked gone");
}

static void run(pid_t pid, const int tids[VCPUS])
{
    vmaccel_topology_options t = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    t.allowed_cpus = "0-1"; /* the project's CI machines have 2 CPUs */
    vmaccel_manager_options mo = VMACCEL_MANAGER_OPTIONS_INIT;
    mo.topology = &t;
    vmaccel_manager *m = NULL;
    vmaccel_vm *vm = NULL;
    char before[VCPUS][128], after[128];
    if (vmaccel_manager_new(&mo, &m)) {
        CHECK(0, "manager: %s", vmaccel_error_last());
        return;
    }
    CHECK(vmaccel_vm_attach_pid(m, pid, NULL, &vm) == 0, "attach: %s", vmaccel_error_last());
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    if (vm && vmaccel_vm_info_get(vm, &info) == 0) {
        CHECK(info.vcpu_count == VCPUS, "%u vCPUs", info.vcpu_count);
        CHECK(info.vmm == VMACCEL_VMM_QEMU, "VMM kind %d", (int)info.vmm);
        CHECK(info.memory_bytes >= (128u << 20) && info.memory_bytes < (512u << 20),
              "guest RAM found: %llu bytes in %u regions",
              (unsigned long long)info.memory_bytes, info.memory_regions);
    }
    for (int i = 0; vm && i < VCPUS; i++)
        status_cpus(pid, tids[i], before[i], sizeof before[i]);
    CHECK(!vm || vmaccel_vm_configure_affinity(vm, 0, VMACCEL_STRATEGY_LOAD_BALANCED) == 0,
          "pin: %s", vmaccel_error_last());
    if (vm)
        check_pinned(vm, pid, tids);
    CHECK(!vm || vmaccel_vm_restore_affinity(vm) == 0, "restore: %s", vmaccel_error_last());
    for (int i = 0; vm && i < VCPUS; i++) {
        status_cpus(pid, tids[i], after, sizeof after);
        CHECK(!strcmp(before[i], after), "CPU %d/TCG: %s before, %s after restore", i,
              before[i], after);
    }
    if (vm)
        check_gone(vm, pid);
    vmaccel_vm_detach(vm);
    vmaccel_manager_free(m);
}

int main(void)
{
    const char *qemu = find_qemu();
    if (!qemu) {
        printf("SKIP: qemu-system-x86_64 is not installed\n");
        return SKIP;
    }
    int tids[VCPUS] = {0};
    pid_t pid = start_qemu(qemu);
    if (pid < 0 || wait_threads(pid, tids)) {
        fprintf(stderr, "FAIL: QEMU did not start 4 \"CPU n/TCG\" threads\n");
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        return 1;
    }
    run(pid, tids);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    printf("%s: qemu_pin\n", failures ? "FAILED" : "PASSED");
    return failures ? 1 : 0;
}
