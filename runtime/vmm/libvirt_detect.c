/* Recognising a libvirt domain's QEMU from /proc alone (see libvirt.h). */
#include "vmm/libvirt.h"

#include "vmm/procfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool va_qemu_uuid(const char *cmdline, size_t len, char *uuid, size_t uuid_len)
{
    const char *end = cmdline + len;
    for (const char *a = cmdline; a < end; a += strnlen(a, (size_t)(end - a)) + 1) {
        size_t n = strnlen(a, (size_t)(end - a));
        const char *next = a + n + 1;
        if (n != 5 || memcmp(a, "-uuid", 5) || next >= end)
            continue;
        size_t vl = strnlen(next, (size_t)(end - next));
        if (vl != 36 || vl >= uuid_len) /* 8-4-4-4-12 */
            return false;
        for (size_t i = 0; i < vl; i++) {
            bool dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? next[i] != '-' : !strchr("0123456789abcdefABCDEF", next[i]))
                return false;
        }
        memcpy(uuid, next, vl);
        uuid[vl] = '\0';
        return true;
    }
    return false;
}

/* The parent process's name: libvirtd (monolithic) or virtqemud
 * (modular daemons), while the QEMU has not been re-parented yet. */
static bool parent_is_libvirt(const va_platform *p, int pid)
{
    char *stat = NULL, comm[16] = "";
    size_t len;
    long long ppid = 0;
    if (p->read_proc(p, pid, 0, "stat", &stat, &len) == 0)
        va_stat_field(stat, 4, &ppid);
    free(stat);
    if (ppid <= 0 || va_thread_comm(p, (int)ppid, 0, comm, sizeof comm))
        return false;
    return !strcmp(comm, "libvirtd") || !strcmp(comm, "virtqemud");
}

/* libvirt's pid file of the domain (system or this user's session
 * daemon) names this very process. */
static bool pidfile_says(const char *name, int pid)
{
    char path[2][512], text[32];
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    snprintf(path[0], sizeof path[0], "/run/libvirt/qemu/%s.pid", name);
    snprintf(path[1], sizeof path[1], "%s/libvirt/qemu/run/%s.pid", xdg ? xdg : "/nonexistent",
             name);
    for (int i = 0; i < 2; i++) {
        FILE *f = strchr(name, '/') ? NULL : fopen(path[i], "re");
        if (!f)
            continue;
        bool same = fgets(text, sizeof text, f) && atoi(text) == pid;
        fclose(f);
        if (same)
            return true;
    }
    return false;
}

/* libvirt names its cgroups after the domain: "qemu-1-lv.libvirt-qemu"
 * (no systemd) or "machine-qemu\x2d1\x2dlv.scope" (systemd). */
static bool cgroup_says(const va_platform *p, int pid)
{
    char *text = NULL;
    size_t n = 0;
    bool yes = p->read_proc(p, pid, 0, "cgroup", &text, &n) == 0 &&
               (strstr(text, ".libvirt-qemu") || strstr(text, "machine-qemu"));
    free(text);
    return yes;
}

bool va_libvirt_looks_managed(const va_platform *p, int pid, char *uuid, size_t len)
{
    char *cmdline = NULL, name[64];
    size_t n = 0;
    bool qemu = p->read_proc(p, pid, 0, "cmdline", &cmdline, &n) == 0 &&
                va_qemu_uuid(cmdline, n, uuid, len);
    bool named = qemu && va_qemu_guest_name(cmdline, n, name, sizeof name);
    free(cmdline);
    /* libvirt's QEMU is re-parented to init; its pid file and cgroup
     * still tell. */
    return qemu && ((named && pidfile_says(name, pid)) || cgroup_says(p, pid) ||
                    parent_is_libvirt(p, pid));
}
