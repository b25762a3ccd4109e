/* vmaccel run: the VMs being watched - attach (within the open-file
 * limit), reap the gone, restore at exit, keep each one's locality trend.
 * Finding QEMUs to attach is run_scan.c's. */
#include "pin_state.h"
#include "run.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* Descriptors kept free for the library's periodic reads (/proc, /sys)
 * and the report file, so VMs already watched stay watched. */
#define RUN_FD_RESERVE 16

static bool watching(const run_state *s, int pid)
{
    for (unsigned i = 0; i < s->nvms; i++)
        if (s->vms[i].pid == pid)
            return true;
    return false;
}

static unsigned open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return ~0u;
    unsigned n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n > 3 ? n - 3 : 0; /* ".", ".." and the directory's own */
}

/* True while attaching one more VM leaves the reserve free. */
static bool fd_room(run_state *s)
{
    if (!s->fd_counted) {
        struct rlimit rl;
        unsigned used = open_fds();
        s->fd_room = getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY
                         ? 1L << 30
                         : (long)rl.rlim_cur - (long)used - RUN_FD_RESERVE;
        s->fd_counted = true;
    }
    return s->fd_room > 0;
}

/* Said once per run; the live view and the last line show the count.
 * detail: the library's message when the attach itself failed. */
static int fd_limit_reached(run_state *s, int pid, const char *detail)
{
    s->fd_limited++;
    if (s->fd_limit_said)
        return RUN_FD_LIMIT;
    s->fd_limit_said = true;
    struct rlimit rl = {0, 0};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (detail)
        fprintf(stderr, "vmaccel run: cannot attach pid %d: %s (out of file descriptors, "
                "RLIMIT_NOFILE %llu, or of memory)", pid, detail,
                (unsigned long long)rl.rlim_cur);
    else
        fprintf(stderr, "vmaccel run: not attaching pid %d: open-file limit reached "
                "(RLIMIT_NOFILE %llu; the last %d are kept for the VMs watched)", pid,
                (unsigned long long)rl.rlim_cur, RUN_FD_RESERVE);
    fprintf(stderr, ". Watching %u VMs; %s. Raise the limit to watch more (ulimit -n, "
            "LimitNOFILE= in a systemd unit).\n", s->nvms,
            s->opts.qemu ? "more are attached as descriptors free up" : "the others are not");
    return RUN_FD_LIMIT;
}

static run_vm *new_slot(run_state *s)
{
    if (s->nvms == s->vms_cap) {
        unsigned cap = s->vms_cap ? 2 * s->vms_cap : 16;
        run_vm *v = realloc(s->vms, cap * sizeof *v);
        if (!v)
            return NULL;
        s->vms = v;
        s->vms_cap = cap;
    }
    run_vm *r = &s->vms[s->nvms];
    memset(r, 0, sizeof *r);
    return r;
}

/* How a VM is attached: by pid, QMP socket or libvirt domain (arg). */
typedef int (*attach_fn)(run_state *s, const void *arg, vmaccel_vm **vm);

static int by_pid(run_state *s, const void *arg, vmaccel_vm **vm)
{
    return vmaccel_vm_attach_pid(s->m, *(const int *)arg, NULL, vm);
}

static int by_qmp(run_state *s, const void *arg, vmaccel_vm **vm)
{
    return vmaccel_vm_attach_qmp(s->m, arg, NULL, vm);
}

static int by_domain(run_state *s, const void *arg, vmaccel_vm **vm)
{
    vmaccel_vm_options o = VMACCEL_VM_OPTIONS_INIT;
    return vmaccel_vm_attach_libvirt(s->m, s->opts.libvirt_uri, arg, &o, vm);
}

/* Attaches one VM into a new slot within the open-file limit, then pins it
 * if asked. pid is 0 when not known before the attach (QMP, libvirt);
 * uuid names a libvirt domain, or NULL. */
static int attach_with(run_state *s, int pid, bool quiet, attach_fn fn, const void *arg,
                       const char *uuid)
{
    if (!fd_room(s))
        return fd_limit_reached(s, pid, NULL);
    run_vm *r = new_slot(s);
    if (!r)
        return cli_error(CLI_FAILED, "run", "out of memory for VM %d", pid);
    vmaccel_vm *vm;
    int rc = fn(s, arg, &vm);
    if (rc == VMACCEL_ENOMEM) /* descriptors (EMFILE, ENFILE) or memory */
        return fd_limit_reached(s, pid, vmaccel_error_last());
    if (rc)
        return quiet ? rc : cli_lib_error("run", "cannot attach", rc);
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    vmaccel_vm_info_get(vm, &info);
    if (!pid && watching(s, info.pid)) {
        vmaccel_vm_detach(vm); /* found already another way (--qemu) */
        return 0;
    }
    s->nvms++;
    s->fd_room--;
    r->vm = vm;
    r->pid = info.pid;
    snprintf(r->name, sizeof r->name, "%s", info.name);
    snprintf(r->domain_uuid, sizeof r->domain_uuid, "%s", uuid ? uuid : "");
    pin_state_adopt(vm, r->pid); /* pins of an earlier `vmaccel pin` are ours */
    if (s->opts.have_strategy) {
        vmaccel_pin_options po = VMACCEL_PIN_OPTIONS_INIT;
        po.strategy = s->opts.strategy;
        po.dry_run = s->opts.numa.dry_run;
        po.override_pins = s->opts.override_pins;
        if ((rc = vmaccel_vm_pin(vm, &po)) != 0)
            cli_lib_error("run", "initial pin", rc); /* keep watching it */
    }
    if (!s->opts.live)
        fprintf(stderr, "vmaccel run: watching pid %d (%s, %u vCPUs%s%s)%s%s\n", r->pid,
                r->name, info.vcpu_count,
                info.control == VMACCEL_CONTROL_LIBVIRT ? ", through libvirt: domain " : "",
                info.domain, info.control_note[0] ? "; " : "", info.control_note);
    return 0;
}

int run_attach_pid(run_state *s, int pid, bool quiet)
{
    return watching(s, pid) ? 0 : attach_with(s, pid, quiet, by_pid, &pid, NULL);
}

int run_attach_qmp(run_state *s, const char *socket)
{
    return attach_with(s, 0, false, by_qmp, socket, NULL);
}

int run_attach_domain(run_state *s, const char *uuid, bool quiet)
{
    for (unsigned i = 0; i < s->nvms; i++)
        if (!strcmp(s->vms[i].domain_uuid, uuid))
            return 0;
    return attach_with(s, 0, quiet, by_domain, uuid, uuid);
}

void run_vms_free(run_state *s)
{
    free(s->vms);
    free(s->retry);
    s->vms = NULL;
    s->retry = NULL;
    s->nvms = s->vms_cap = s->nretry = s->retry_cap = 0;
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
