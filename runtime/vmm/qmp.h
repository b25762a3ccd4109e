/*
 * Internal: a QMP client on a QEMU monitor socket, for discovery only (it
 * asks, never tells: qmp_capabilities, query-cpus-fast, query-memdev).
 *
 * Bounded: each message at most VA_QMP_MAX_MESSAGE bytes, the whole
 * session within a deadline (VA_QMP_TIMEOUT_MS from open). A peer that is
 * not QEMU (no greeting, a greeting that is not QMP's), that closes
 * mid-reply, or that sends malformed or oversized JSON gives a clear error
 * (VMACCEL_EPARSE, VMACCEL_EIO, VMACCEL_ETIMEDOUT) and nothing is kept.
 * Asynchronous events in between are skipped. One thread at a time.
 */
#ifndef VA_VMM_QMP_H
#define VA_VMM_QMP_H

#include "vmm/qmp_parse.h"

#define VA_QMP_TIMEOUT_MS 2000

typedef struct va_qmp {
    int fd;
    int peer_pid;           /* SO_PEERCRED of the socket: the QEMU */
    char path[108];
    char *buf;              /* bytes read, not yet returned */
    size_t len, cap;
    unsigned long long deadline_ns;
    long long next_id;
    char version[32];       /* from the greeting */
} va_qmp;

/* Connects to the unix socket `path`, reads the greeting and enters
 * command mode. */
int va_qmp_open(const char *path, va_qmp *q);

/* Runs `command` (no arguments) and hands back its reply message (malloc'd,
 * NUL-terminated): a "return" message, or the QMP error as VMACCEL_ENOTSUP
 * with its text. */
int va_qmp_query(va_qmp *q, const char *command, char **reply, size_t *len);

void va_qmp_close(va_qmp *q);

#endif
