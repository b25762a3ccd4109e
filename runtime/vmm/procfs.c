/* Parsing /proc texts and vCPU thread names (see procfs.h). */
#include "vmm/procfs.h"

#include "core/error.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int va_stat_field(const char *stat, unsigned field, long long *out)
{
    /* Field 2 is "(comm)" and comm may hold ") (": fields 3.. start after
     * the last ')'. */
    /* *out is defined on every path (0 on failure): callers test the
     * return code, but the optimiser cannot see that va_fail() never
     * returns 0, and -O3 then warns about a read of an unset result. */
    *out = 0;
    const char *s = stat ? strrchr(stat, ')') : NULL;
    if (!s || field < 3)
        return va_fail(VMACCEL_EPARSE, "malformed stat line");
    s++;
    for (unsigned f = 3; f <= field; f++) {
        while (*s == ' ')
            s++;
        if (!*s)
            return va_fail(VMACCEL_EPARSE, "stat line has no field %u", field);
        if (f == field) {
            char *end;
            errno = 0;
            long long v = strtoll(s, &end, 10);
            if (errno || end == s || (*end && *end != ' ' && *end != '\n'))
                return va_fail(VMACCEL_EPARSE, "stat field %u is not a number", field);
            *out = v;
            return 0;
        }
        while (*s && *s != ' ')
            s++;
    }
    return va_fail(VMACCEL_EPARSE, "stat line has no field %u", field);
}

static int read_stat_field(const va_platform *p, int pid, int tid, unsigned field,
                           long long *out)
{
    char *text = NULL;
    size_t len;
    int rc = p->read_proc(p, pid, tid, "stat", &text, &len);
    if (!rc)
        rc = va_stat_field(text, field, out);
    free(text);
    return rc;
}

int va_thread_start(const va_platform *p, int pid, int tid, unsigned long long *start)
{
    long long v;
    int rc = read_stat_field(p, pid, tid, 22, &v);
    if (!rc)
        *start = (unsigned long long)v;
    return rc;
}

int va_thread_last_cpu(const va_platform *p, int pid, int tid, int *cpu)
{
    long long v;
    int rc = read_stat_field(p, pid, tid, 39, &v);
    if (!rc)
        *cpu = v >= 0 && v < VA_MAX_CPUS ? (int)v : -1;
    return rc;
}

int va_thread_comm(const va_platform *p, int pid, int tid, char *buf, size_t len)
{
    char *text = NULL;
    size_t n;
    int rc = p->read_proc(p, pid, tid, "comm", &text, &n);
    if (!rc) {
        text[strcspn(text, "\n")] = '\0';
        snprintf(buf, len, "%s", text);
    }
    free(text);
    return rc;
}

/* Copies the NAME of "[guest=]NAME,key=value,..." or of a later
 * "guest=NAME" element (QEMU's -name syntax). */
static bool take_guest_name(const char *value, char *buf, size_t buflen)
{
    const char *name = value;
    size_t n = strcspn(value, ",");
    if (!strncmp(value, "guest=", 6)) {
        name = value + 6;
        n -= 6;
    } else if (strchr(value, '=') && strchr(value, '=') < value + n) {
        const char *g = strstr(value, ",guest=");
        if (!g)
            return false;
        name = g + 7;
        n = strcspn(name, ",");
    }
    if (!n)
        return false;
    snprintf(buf, buflen, "%.*s", (int)n, name);
    return true;
}

bool va_qemu_guest_name(const char *cmdline, size_t len, char *buf, size_t buflen)
{
    const char *end = cmdline + len;
    for (const char *arg = cmdline; arg < end; arg += strnlen(arg, (size_t)(end - arg)) + 1) {
        if (strcmp(arg, "-name") && strcmp(arg, "--name"))
            continue;
        const char *value = arg + strlen(arg) + 1;
        /* The value must be a whole, NUL-terminated argument inside len. */
        if (value >= end || !memchr(value, '\0', (size_t)(end - value)))
            return false;
        return take_guest_name(value, buf, buflen);
    }
    return false;
}

/* Reads a vCPU number of 1..4 digits at *s; advances *s. */
static bool take_index(const char **s, unsigned *index)
{
    unsigned v = 0, n = 0;
    while (isdigit((unsigned char)**s) && n < 5) {
        v = v * 10 + (unsigned)(**s - '0');
        (*s)++;
        n++;
    }
    *index = v;
    return n >= 1 && n <= 4;
}

static bool prefixed(const char *comm, const char *prefix, unsigned *index)
{
    size_t n = strlen(prefix);
    if (strncmp(comm, prefix, n))
        return false;
    const char *s = comm + n;
    return take_index(&s, index) && *s == '\0';
}

/* QEMU: "CPU <n>/<accelerator>", accelerator = letters (KVM, TCG, HVF,
 * WHPX, NVMM...). comm is cut at 15 bytes, so the accelerator may be. */
static bool qemu_name(const char *comm, unsigned *index)
{
    const char *s = comm + 4;
    if (strncmp(comm, "CPU ", 4) || !take_index(&s, index) || *s != '/')
        return false;
    if (!isalpha((unsigned char)*++s))
        return false;
    while (isalpha((unsigned char)*s))
        s++;
    return *s == '\0';
}

bool va_vcpu_name_match(const char *comm, vmaccel_vmm_kind *kind, unsigned *index)
{
    if (qemu_name(comm, index))
        *kind = VMACCEL_VMM_QEMU;
    else if (prefixed(comm, "fc_vcpu ", index))
        *kind = VMACCEL_VMM_FIRECRACKER;
    else if (prefixed(comm, "crosvm_vcpu", index))
        *kind = VMACCEL_VMM_CROSVM;
    else if (prefixed(comm, "vcpu", index))
        *kind = VMACCEL_VMM_CLOUD_HYPERVISOR;
    else
        return false;
    return true;
}

bool va_parse_maps_line(const char *line, va_map *out)
{
    unsigned long long start, end;
    int pos = 0;
    memset(out, 0, sizeof *out);
    if (sscanf(line, "%llx-%llx %4s %*s %*s %*s%n", &start, &end, out->perms, &pos) < 3 ||
        pos == 0 || end <= start)
        return false;
    const char *p = line + pos;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strcspn(p, "\n");
    if (n >= sizeof out->path)
        n = sizeof out->path - 1;
    memcpy(out->path, p, n);
    out->path[n] = '\0';
    out->start = start;
    out->end = end;
    return true;
}

bool va_map_is_backend(const va_map *m)
{
    return !strncmp(m->path, "/memfd:", 7) || !strncmp(m->path, "/dev/hugepages", 14) ||
           strstr(m->path, "hugetlbfs") || !strncmp(m->path, "/dev/shm/", 9);
}
