/* vmaccel pin: pin a running VMM's vCPU threads, or restore them. */
#include "cli.h"
#include "pin_state.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
        "usage: vmaccel pin (--pid PID | --qmp SOCKET | --domain NAME) [--strategy S]\n"
        "                   [--dry-run] [--priority N] [--fifo PRIO | --rr PRIO]\n"
        "                   [--reserved CPULIST] [--smt spread|pack|one-per-core]\n"
        "                   [--vcpus N] [--no-save] [--override-pins]\n"
        "                   [--libvirt[=URI] | --no-libvirt]\n"
        "       vmaccel pin --restore (--pid PID | --qmp SOCKET | --domain NAME)\n\n"
        "Finds the vCPU threads of a running VMM (QEMU \"CPU n/KVM|TCG\",\n"
        "cloud-hypervisor, Firecracker, crosvm; or through QEMU's QMP socket),\n"
        "plans them on this host within each thread's own cgroup cpuset and pins\n"
        "each to one CPU, then prints where each vCPU went and what limits it.\n"
        "A vCPU the operator placed (libvirt <vcpupin>, taskset, a cgroup\n"
        "narrower than its parent's such as Kubernetes' CPU manager) stays where\n"
        "it is unless --override-pins. A libvirt domain's QEMU is pinned through\n"
        "libvirt, so virsh vcpupin/vcpuinfo show the truth.\n\n"
        "Before any thread changes, the original affinity and priority are\n"
        "saved to pin-PID.json in $VMACCEL_STATE_DIR, else /run/vmaccel (root)\n"
        "or $XDG_RUNTIME_DIR/vmaccel (made 0700 when missing; on Windows\n"
        "%%LOCALAPPDATA%%\\vmaccel). The directory\n"
        "must be yours and writable by nobody else; if the originals cannot be\n"
        "saved, nothing is changed and the exit status is 1. Pinning again keeps\n"
        "the first originals. --restore gives them back and removes the file.\n\n"
        "  --pid PID          the VMM process\n"
        "  --qmp SOCKET       a QEMU's QMP socket (-qmp unix:SOCKET,server): finds\n"
        "                     its vCPU threads without thread names\n"
        "  --domain NAME      a running libvirt domain (name or UUID)\n"
        "  --libvirt[=URI]    act through libvirt (default URI: libvirt's own);\n"
        "                     a libvirt domain's QEMU is recognised without it\n"
        "  --no-libvirt       act directly even on a libvirt domain's QEMU\n"
        "  --override-pins    also move vCPUs the operator placed\n"
        "  --strategy S       local-first (default), load-balanced,\n"
        "                     bandwidth-optimized or adaptive\n"
        "  --dry-run          plan and print, change nothing\n"
        "  --priority N       nice value for the vCPU threads (-20..19)\n"
        "  --fifo/--rr PRIO   real-time policy SCHED_FIFO/SCHED_RR (1..99)\n"
        "  --reserved LIST    CPUs kept for the host, e.g. 0\n"
        "  --smt POLICY       spread (default), pack or one-per-core\n"
        "  --vcpus N          pin only the first N vCPUs\n"
        "  --no-save          pin without saving the originals: nothing can\n"
        "                     restore them afterwards\n"
        "  --restore          give the saved affinity and priority back\n");
}

typedef struct pin_args {
    long pid;
    int restore;
    int no_save;
    vmaccel_pin_options o;
    const char *qmp, *domain, *libvirt_uri; /* libvirt_uri "": never */
    int libvirt;                             /* --libvirt given */
} pin_args;

typedef enum { SHOW_PIN, SHOW_DRY_RUN, SHOW_RESTORE } show_mode;

static const char *result_text(const vmaccel_vcpu_info *v, show_mode mode)
{
    static const char *const ok[] = {"pinned", "would pin", "restored"};
    return v->result ? vmaccel_strerror(v->result) : ok[mode];
}

/* What limits the vCPU and whether the operator placed it, indented under
 * its line. */
static void print_limits(vmaccel_vm *vm, unsigned i)
{
    vmaccel_vcpu_limits l = VMACCEL_VCPU_LIMITS_INIT;
    if (vmaccel_vm_vcpu_limits(vm, i, &l) || !l.known)
        return;
    printf("         may use CPUs %s (%s)%s%s", l.cpus, l.cpus_source,
           l.mems[0] ? ", memory nodes " : "", l.mems);
    if (l.guest_node >= 0)
        printf(", guest NUMA node %d", l.guest_node);
    printf("\n");
    if (l.operator_pinned)
        printf("         %s by the operator: %s\n", l.kept ? "left where it is, placed"
               : l.overrode ? "moved (--override-pins), was placed" : "placed", l.pin_source);
    if (l.memory_pinned)
        printf("         memory placed by the operator: %s\n", l.mem_pin_source);
}

static const char *vcpu_result(const vmaccel_vcpu_info *v, vmaccel_vm *vm, show_mode mode)
{
    vmaccel_vcpu_limits l = VMACCEL_VCPU_LIMITS_INIT;
    if (mode != SHOW_RESTORE && !v->result && !vmaccel_vm_vcpu_limits(vm, v->index, &l) &&
        l.kept)
        return "kept";
    return result_text(v, mode);
}

static void print_vcpus(vmaccel_vm *vm, unsigned n, show_mode mode)
{
    for (unsigned i = 0; i < n; i++) {
        vmaccel_vcpu_info v = VMACCEL_VCPU_INFO_INIT;
        if (vmaccel_vm_vcpu(vm, i, &v))
            continue;
        unsigned cpus[64];
        size_t count = 0;
        char allowed[256] = "?";
        if (!v.gone && !vmaccel_vm_vcpu_allowed_cpus(vm, i, cpus, 64, &count)) {
            size_t used = 0;
            for (size_t k = 0; k < count && k < 64 && used < sizeof allowed; k++)
                used += (size_t)snprintf(allowed + used, sizeof allowed - used, "%s%u",
                                         k ? "," : "", cpus[k]);
        }
        if (mode == SHOW_RESTORE)
            printf("vCPU %-3u tid %-7d %-15s %-10s allowed %s\n", v.index, v.tid,
                   v.thread_name, result_text(&v, mode), allowed);
        else
            printf("vCPU %-3u tid %-7d %-15s -> CPU %-4d node %-2u %-10s allowed %s\n",
                   v.index, v.tid, v.thread_name, v.planned_cpu, v.planned_node,
                   vcpu_result(&v, vm, mode), allowed);
        if (mode != SHOW_RESTORE)
            print_limits(vm, i);
    }
}

/* Saves the originals first; only then changes anything. */
static int save_originals(vmaccel_vm *vm, const pin_args *a)
{
    if (a->o.dry_run)
        return CLI_OK;
    if (a->no_save) {
        fprintf(stderr, "vmaccel pin: --no-save: the original affinity and priority are not "
                        "saved; nothing can restore them\n");
        return CLI_OK;
    }
    pin_state st;
    int rc = pin_state_open(&st, a->pid, true);
    if (!rc)
        rc = pin_state_save(&st, vm, &a->o);
    pin_state_close(&st);
    return rc;
}

static int do_pin(vmaccel_vm *vm, const pin_args *a)
{
    if (save_originals(vm, a))
        return CLI_FAILED;
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    vmaccel_vm_info_get(vm, &info);
    printf("VM \"%s\" pid %d: %u vCPUs, %s%s%s%s%s\n", info.name, info.pid, info.vcpu_count,
           vmaccel_strategy_name(a->o.strategy), a->o.dry_run ? " (dry run)" : "",
           info.control == VMACCEL_CONTROL_LIBVIRT ? ", through libvirt (domain " : "",
           info.domain, info.control == VMACCEL_CONTROL_LIBVIRT ? ")" : "");
    if (info.control_note[0])
        printf("note: %s\n", info.control_note);
    int rc = vmaccel_vm_pin(vm, &a->o);
    int failed = rc ? cli_lib_error("pin", "some vCPU threads were not pinned", rc) : 0;
    print_vcpus(vm, a->o.vcpu_count ? a->o.vcpu_count : info.vcpu_count,
                a->o.dry_run ? SHOW_DRY_RUN : SHOW_PIN);
    return failed ? CLI_FAILED : CLI_OK;
}

static int do_restore(vmaccel_vm *vm, long pid)
{
    pin_state st;
    int rc = pin_state_open(&st, pid, false);
    if (!rc)
        rc = pin_state_load(&st, vm);
    if (rc) {
        pin_state_close(&st);
        return rc;
    }
    int lrc = vmaccel_vm_restore_affinity(vm);
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    vmaccel_vm_info_get(vm, &info);
    print_vcpus(vm, info.vcpu_count, SHOW_RESTORE);
    if (!lrc)
        pin_state_remove(&st);
    pin_state_close(&st);
    if (lrc)
        return cli_lib_error("pin", "cannot restore", lrc);
    printf("restored the saved affinity and priority of pid %ld\n", pid);
    return CLI_OK;
}

/* By pid, QMP socket or libvirt domain, as asked. */
static int attach(vmaccel_manager *m, const pin_args *a, vmaccel_vm **vm)
{
    vmaccel_vm_options o = VMACCEL_VM_OPTIONS_INIT;
    o.libvirt_uri = a->libvirt_uri;
    if (a->domain)
        return vmaccel_vm_attach_libvirt(m, a->libvirt_uri, a->domain, &o, vm);
    if (a->qmp && !a->pid)
        return vmaccel_vm_attach_qmp(m, a->qmp, &o, vm);
    o.qmp_socket = a->qmp;
    return vmaccel_vm_attach_pid(m, (int)a->pid, &o, vm);
}

static int run(pin_args *a)
{
    vmaccel_manager *m = NULL;
    vmaccel_vm *vm = NULL;
    int rc = vmaccel_manager_new(NULL, &m);
    if (rc)
        return cli_lib_error("pin", "cannot create a manager", rc);
    rc = attach(m, a, &vm);
    vmaccel_vm_info info = VMACCEL_VM_INFO_INIT;
    if (!rc && !a->pid && !vmaccel_vm_info_get(vm, &info))
        a->pid = info.pid; /* the state file is named after the pid */
    int out = rc ? cli_lib_error("pin", "cannot attach to the VMM", rc)
                 : a->restore ? do_restore(vm, a->pid) : do_pin(vm, a);
    vmaccel_vm_detach(vm);
    vmaccel_manager_free(m);
    return out;
}

static int parse_smt(const char *s, vmaccel_smt_policy *out)
{
    static const char *const names[] = {"spread", "pack", "one-per-core"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, names[i])) {
            *out = (vmaccel_smt_policy)i;
            return 0;
        }
    return -1;
}

/* Numbers with a sign (nice may be negative): -20..19. */
static int parse_nice(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < -20 || v > 19)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_opt(int c, const char *arg, pin_args *a)
{
    unsigned long v;
    switch (c) {
    case 'p':
        if (cli_parse_uint(arg, 0x7fffffff, &v) || v == 0)
            return cli_error(CLI_USAGE, "pin", "bad --pid '%s'", arg);
        a->pid = (long)v;
        return 0;
    case 'S':
        return vmaccel_strategy_parse(arg, &a->o.strategy)
                   ? cli_error(CLI_USAGE, "pin", "%s", vmaccel_error_last()) : 0;
    case 'n':
        a->o.dry_run = 1;
        return 0;
    case 'P':
        a->o.set_nice = 1;
        return parse_nice(arg, &a->o.nice)
                   ? cli_error(CLI_USAGE, "pin", "bad --priority '%s' (-20..19)", arg) : 0;
    case 'F': case 'R':
        a->o.sched = c == 'F' ? VMACCEL_SCHED_FIFO : VMACCEL_SCHED_RR;
        if (cli_parse_uint(arg, 99, &v) || v == 0)
            return cli_error(CLI_USAGE, "pin", "bad real-time priority '%s' (1..99)", arg);
        a->o.rt_priority = (int)v;
        return 0;
    case 'r':
        a->o.reserved_cpus = arg;
        return 0;
    case 'm':
        return parse_smt(arg, &a->o.smt) ? cli_error(CLI_USAGE, "pin", "unknown SMT "
                                                     "policy '%s'", arg) : 0;
    case 'v':
        if (cli_parse_uint(arg, 4096, &v) || v == 0)
            return cli_error(CLI_USAGE, "pin", "bad --vcpus '%s'", arg);
        a->o.vcpu_count = (unsigned)v;
        return 0;
    case 'X':
        a->restore = 1;
        return 0;
    case 'N':
        a->no_save = 1;
        return 0;
    case 'O':
        a->o.override_pins = 1;
        return 0;
    case 'Q':
        a->qmp = arg;
        return 0;
    case 'D':
        a->domain = arg;
        return 0;
    case 'L':
        a->libvirt = 1;
        a->libvirt_uri = arg; /* NULL: libvirt's default */
        return 0;
    case 'W':
        a->libvirt_uri = "";
        return 0;
    }
    usage(stderr);
    return CLI_USAGE;
}

int cmd_pin(int argc, char **argv)
{
    static const struct option opts[] = {
        {"pid", required_argument, 0, 'p'}, {"strategy", required_argument, 0, 'S'},
        {"dry-run", no_argument, 0, 'n'}, {"priority", required_argument, 0, 'P'},
        {"fifo", required_argument, 0, 'F'}, {"rr", required_argument, 0, 'R'},
        {"reserved", required_argument, 0, 'r'}, {"smt", required_argument, 0, 'm'},
        {"vcpus", required_argument, 0, 'v'}, {"restore", no_argument, 0, 'X'},
        {"no-save", no_argument, 0, 'N'}, {"override-pins", no_argument, 0, 'O'},
        {"qmp", required_argument, 0, 'Q'}, {"domain", required_argument, 0, 'D'},
        {"libvirt", optional_argument, 0, 'L'}, {"no-libvirt", no_argument, 0, 'W'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    pin_args a = {0, 0, 0, VMACCEL_PIN_OPTIONS_INIT, NULL, NULL, NULL, 0};
    int c, rc;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "p:S:nP:F:R:r:m:v:XNh", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return CLI_OK;
        }
        if ((rc = parse_opt(c, optarg, &a)))
            return rc;
    }
    if (optind < argc)
        return cli_error(CLI_USAGE, "pin", "unexpected argument '%s'", argv[optind]);
    if (!a.pid && !a.qmp && !a.domain)
        return cli_error(CLI_USAGE, "pin", "name the VMM: --pid PID, --qmp SOCKET or "
                         "--domain NAME");
    if (a.domain && (a.pid || a.qmp))
        return cli_error(CLI_USAGE, "pin", "--domain names the VM by itself: no --pid or "
                         "--qmp with it");
    if (a.libvirt_uri && !*a.libvirt_uri && (a.libvirt || a.domain))
        return cli_error(CLI_USAGE, "pin", "--no-libvirt contradicts --libvirt/--domain");
    if (a.restore && (a.o.dry_run || a.o.set_nice || a.o.sched || a.o.vcpu_count ||
                      a.no_save || a.o.override_pins))
        return cli_error(CLI_USAGE, "pin", "--restore takes only the VMM's name");
    return run(&a);
}
