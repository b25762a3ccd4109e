/* Internal: parsing the /proc texts that describe a VMM (stat, comm, maps,
 * numa_maps) and recognising vCPU thread names. Pure functions over text;
 * the reads go through the platform seam. */
#ifndef VA_VMM_PROCFS_H
#define VA_VMM_PROCFS_H

#include "platform/platform.h"
#include "vmaccel/vm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Field `field` (1-based, as numbered in proc(5)) of a stat line, as an
 * unsigned number; copes with spaces and parentheses in the comm field.
 * Fields 3.. only. Returns 0 or VMACCEL_EPARSE (then *out is 0). */
int va_stat_field(const char *stat, unsigned field, long long *out);

/* A thread's start time (field 22) and the CPU it last ran on (field 39). */
int va_thread_start(const va_platform *p, int pid, int tid, unsigned long long *start);
int va_thread_last_cpu(const va_platform *p, int pid, int tid, int *cpu);
/* Its name (comm, without the newline), truncated to len. */
int va_thread_comm(const va_platform *p, int pid, int tid, char *buf, size_t len);

/* The guest name a QEMU command line (/proc/PID/cmdline: `len` bytes of
 * NUL-separated arguments) gives with `-name [guest=]NAME[,...]`, into buf.
 * false (buf untouched) when there is none. */
bool va_qemu_guest_name(const char *cmdline, size_t len, char *buf, size_t buflen);

/* Whether `comm` names a vCPU thread of a known VMM; sets kind and index. */
bool va_vcpu_name_match(const char *comm, vmaccel_vmm_kind *kind, unsigned *index);

typedef struct va_map {
    uint64_t start, end;
    char perms[5];
    char path[128];   /* "" for anonymous */
} va_map;

/* Parses one /proc/PID/maps line; false if malformed. */
bool va_parse_maps_line(const char *line, va_map *out);

/* Whether a mapping is a QEMU memory backend (memfd, hugetlbfs, /dev/shm). */
bool va_map_is_backend(const va_map *m);

#endif
