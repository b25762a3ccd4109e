/* Which local QEMU process is which libvirt domain, and libvirt's QEMU
 * monitor passthrough (see lv.h). */
#include "vmm/libvirt/lv.h"

#include "core/error.h"
#include "vmm/procfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* /proc/PID/cmdline, bounded (QEMU's are long but not megabytes). */
static ssize_t read_cmdline(int pid, char *buf, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap);
    close(fd);
    return n;
}

int lv_domain_pid(const char *uuid, const char *name, int *pid)
{
    DIR *d = opendir("/proc");
    if (!d)
        return va_fail(VMACCEL_EIO, "cannot list /proc");
    static char cmdline[65536]; /* not reentrant-sensitive: guarded below */
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    struct dirent *e;
    int found = 0;
    pthread_mutex_lock(&lock);
    while (!found && (e = readdir(d)) != NULL) {
        char *end, uu[40];
        long p = strtol(e->d_name, &end, 10);
        ssize_t n = *end || p <= 0 ? -1 : read_cmdline((int)p, cmdline, sizeof cmdline);
        if (n > 0 && va_qemu_uuid(cmdline, (size_t)n, uu, sizeof uu) &&
            !strcasecmp(uu, uuid))
            found = (int)p;
    }
    pthread_mutex_unlock(&lock);
    closedir(d);
    if (!found)
        return va_fail(VMACCEL_ENOTSUP, "libvirt domain \"%s\" (UUID %s) runs no QEMU on "
                       "this host (a remote libvirt URI? vm-accel acts on local VMs)", name,
                       uuid);
    *pid = found;
    return 0;
}

int lv_check_domain_pid(virDomainPtr dom, const va_platform *p, int pid)
{
    char uuid[VIR_UUID_STRING_BUFLEN], mine[40] = "";
    char *cmdline = NULL;
    size_t len = 0;
    if (lv_api.virDomainGetUUIDString(dom, uuid) < 0)
        return lv_fail(VMACCEL_EIO, "libvirt domain %s: UUID",
                       lv_api.virDomainGetName(dom));
    int rc = p->read_proc(p, pid, 0, "cmdline", &cmdline, &len);
    bool same = !rc && va_qemu_uuid(cmdline, len, mine, sizeof mine) && !strcasecmp(mine, uuid);
    free(cmdline);
    if (rc)
        return rc;
    return same ? 0 : va_fail(VMACCEL_EINVAL, "process %d is not the QEMU of libvirt domain "
                              "%s (UUID %s; its -uuid is %s)", pid, lv_api.virDomainGetName(dom),
                              uuid, mine[0] ? mine : "absent");
}

int lv_monitor_query(virDomainPtr dom, const char *command, char **reply, size_t *len)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "{\"execute\": \"%s\"}", command);
    char *out = NULL;
    if (lv_api.virDomainQemuMonitorCommand(dom, cmd, &out, 0) < 0)
        return lv_fail(VMACCEL_EIO, "libvirt domain %s: QEMU monitor command %s",
                       lv_api.virDomainGetName(dom), command);
    *reply = out; /* libvirt's malloc: free() releases it */
    *len = strlen(out);
    return 0;
}
