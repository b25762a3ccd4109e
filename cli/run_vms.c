/* vmaccel run: the VMs being watched - attach, discover QEMUs, reap the
 * gone, restore at exit, keep each one's locality trend. */
#include "run.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

static bool watching(const run_state *s, int pid)
{
    for (unsigned i = 0; i < s->nvms; i++)
        if (s->vms[i].pid == pid)
            return true;
    return false;
}

int run_attach_pid(run_state *s, int pid, bool quiet)
{
    if (watching(s, pid))
        return 0;
    if (s->nvms == RUN_MAX_VMS)
        return cli_error(CLI_FAILED, "run", "watching %d VMs already", RUN_MAX_VMS);
    vmaccel_vm *vm;
    int rc = vmaccel_vm_attach_pid(s->m, pid, NULL, &vm);
    if (rc)
        return quiet ? rc : cli_lib_error("run", "cannot attach", rc);
    run_vm *r = &s->vms[s->nvms++];
    memset(r, 0, sizeof *r);
    r->vm = vm;
    r->pid = pid;
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    if (vmaccel_vm_info_get(vm, &info) == 0)
        snprintf(r->name, sizeof r->name, "%s", info.name);
    if (s->opts.have_strategy) {
        vmaccel_pin_options po = VMACCEL_PIN_OPTIONS_INIT;
        po.strategy = s->opts.strategy;
        po.dry_run = s->opts.numa.dry_run;
        if ((rc = vmaccel_vm_pin(vm, &po)) != 0)
            cli_lib_error("run", "initial pin", rc); /* keep watching it */
    }
    if (!s->opts.live)
        fprintf(stderr, "vmaccel run: watching pid %d (%s, %u vCPUs)\n", pid, r->name,
                info.vcpu_count);
    return 0;
}

/* QEMU names its process after the binary: qemu-system-x86_64, ... */
static bool is_qemu(int pid)
{
    char path[64], comm[32] = "";
    snprintf(path, sizeof path, "/proc/%d/comm", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool yes = fgets(comm, sizeof comm, f) && !strncmp(comm, "qemu-system", 11);
    fclose(f);
    return yes;
}

void run_scan_qemu(run_state *s)
{
    DIR *d = opendir("/proc");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0 || watching(s, (int)pid) || !is_qemu((int)pid))
            continue;
        /* Not ours to act on, or not started far enough: skip quietly and
         * try again at the next scan. */
        run_attach_pid(s, (int)pid, true);
    }
    closedir(d);
}

void run_reap_gone(run_state *s)
{
    for (unsigned i = 0; i < s->nvms;) {
        vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
        if (vmaccel_vm_info_get(s->vms[i].vm, &info) == 0 && !info.gone) {
            i++;
            continue;
        }
        if (!s->opts.live)
            fprintf(stderr, "vmaccel run: pid %d (%s) is gone\n", s->vms[i].pid,
                    s->vms[i].name);
        vmaccel_vm_detach(s->vms[i].vm);
        s->vms[i] = s->vms[--s->nvms];
    }
}

void run_restore_all(run_state *s)
{
    for (unsigned i = 0; i < s->nvms; i++) {
        int rc = vmaccel_vm_restore_affinity(s->vms[i].vm);
        if (rc && rc != VMACCEL_EGONE)
            cli_lib_error("run", "restore", rc);
    }
}

void run_record_trends(run_state *s)
{
    for (unsigned i = 0; i < s->nvms; i++) {
        run_vm *r = &s->vms[i];
        vmaccel_locality_info li = VMACCEL_LOCALITY_INFO_INIT;
        if (vmaccel_vm_locality(r->vm, &li) || li.samples == r->last_samples ||
            li.source == VMACCEL_LOCALITY_NONE)
            continue;
        r->last_samples = li.samples;
        if (r->ntrend == RUN_TREND)
            memmove(r->trend, r->trend + 1, (RUN_TREND - 1) * sizeof *r->trend);
        else
            r->ntrend++;
        r->trend[r->ntrend - 1] = li.local_rate;
        run_record_sample(s, r, li.local_rate);
    }
}
