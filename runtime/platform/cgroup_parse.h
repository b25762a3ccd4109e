/*
 * Internal: the texts that say which cgroup cpuset governs a thread, parsed
 * as pure functions (no file access), so that they can be tested on the
 * layouts the kernel documents and fuzzed:
 *  - /proc/PID/task/TID/cgroup: "HIERARCHY-ID:CONTROLLERS:PATH" per line;
 *    cgroup v2 is the line "0::PATH"; a v1 cpuset hierarchy names
 *    "cpuset" among its controllers (cgroups(7));
 *  - /proc/self/mountinfo: where each hierarchy is mounted (proc(5)): a
 *    "cgroup2" file system, or a "cgroup" one whose super options name
 *    "cpuset".
 * linux_cgroup.c reads the files and joins the two.
 */
#ifndef VA_PLATFORM_CGROUP_PARSE_H
#define VA_PLATFORM_CGROUP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* The thread's cgroup paths found in a cgroup file. */
typedef struct va_cgroup_paths {
    bool v1_cpuset;        /* a v1 hierarchy has the cpuset controller */
    char v1_path[512];     /* its path ("/machine/qemu-1-lv.libvirt-qemu/vcpu0") */
    bool v2;               /* the "0::" line of the unified hierarchy */
    char v2_path[512];
} va_cgroup_paths;

/* Parses a /proc/.../cgroup text of `len` bytes (not NUL-terminated
 * necessarily). Lines that do not fit the format are skipped. Returns
 * false when neither a v1 cpuset nor a v2 line was found. */
bool va_cgroup_parse(const char *text, size_t len, va_cgroup_paths *out);

/* A cgroup file system mount. */
typedef struct va_cgroup_mount {
    bool found;
    char root[512];        /* the mount's root inside the hierarchy ("/") */
    char point[512];       /* where it is mounted ("/sys/fs/cgroup/cpuset") */
} va_cgroup_mount;

/* Finds in a mountinfo text the v1 hierarchy carrying the cpuset
 * controller (v1) and the unified hierarchy (v2). Octal escapes of the
 * mount point (\040 for a space) are decoded. Malformed lines are
 * skipped. */
void va_mountinfo_cgroups(const char *text, size_t len, va_cgroup_mount *v1_cpuset,
                          va_cgroup_mount *v2);

/* The directory of cgroup `path` under `m`: m->point joined with path
 * less m->root (a cgroup namespace shows paths relative to its root).
 * false when path is not below the mount's root, contains "..", or does
 * not fit. */
bool va_cgroup_dir(const va_cgroup_mount *m, const char *path, char *out, size_t len);

/* The parent of a cgroup path ("/a/b" -> "/a", "/a" -> "/"); false for
 * "/" (the root has none). */
bool va_cgroup_parent(const char *path, char *out, size_t len);

#endif
