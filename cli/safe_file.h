/* Files that no other user can redirect or edit (`vmaccel pin`'s saved
 * state), and files written where the user asked without a temporary file
 * in a directory other users can write (`vmaccel run --report-out`).
 *
 * Linux (safe_file.c): every check is made on an open descriptor (fstat),
 * and files are opened relative to the checked directory's descriptor
 * (openat), so a path swapped after the check cannot redirect them.
 * Windows (windows_safe_file.c) holds the checked directory open so that
 * it cannot be renamed or removed meanwhile, and never follows a symbolic
 * link or junction; see there for what it leaves to the directory's ACL. */
#ifndef VMACCEL_CLI_SAFE_FILE_H
#define VMACCEL_CLI_SAFE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Why a call failed: errno's value and a sentence naming the problem. */
typedef struct safe_why {
    int err;
    char text[512];
} safe_why;

/* Fills *why with errno value `err` and the formatted sentence; returns -1
 * (the failure value of the calls below). */
int safe_fail(safe_why *why, int err, const char *fmt, ...)
#if defined(__MINGW32__) /* mingw's C99 stdio: GNU printf, not the CRT's */
    __attribute__((format(gnu_printf, 3, 4)));
#else
    __attribute__((format(printf, 3, 4)));
#endif

/* Opens the directory `path` for the caller's own files: a real directory
 * (not a symbolic link), owned by the effective user, not group- or
 * world-writable. With `create`, a missing directory is made 0700, and
 * only in a parent that others cannot write (or that has the sticky bit).
 * Returns the descriptor, or -1 with *why (err ENOENT: it does not exist). */
int safe_dir_open(const char *path, bool create, safe_why *why);

/* Replaces dirfd/name with `data`: a new file with a random name beside it
 * (O_CREAT|O_EXCL|O_NOFOLLOW, `mode` less the umask), written, renamed over
 * `name`. Readers never see half a file. `durable`: the file is fsync'ed
 * before the rename and the directory after it, so the contents survive a
 * crash once this returns. 0, or -1 with *why (no temporary file is left). */
int safe_file_replace(int dirfd, const char *name, const void *data, size_t len,
                      mode_t mode, bool durable, safe_why *why);

/* Reads dirfd/name into a malloc'd, NUL-terminated *out (*len bytes) only
 * when it is a regular file (never through a symbolic link), owned by the
 * caller or root, not group- or world-writable, and at most `max` bytes.
 * 0, or -1 with *why (err ENOENT: there is no such file). */
int safe_file_read(int dirfd, const char *name, size_t max, char **out, size_t *len,
                   safe_why *why);

/* Closes a directory safe_dir_open gave (-1: nothing to close). */
void safe_dir_close(int dirfd);

/* Deletes dirfd/name. 0, or -1 with *why. */
int safe_file_remove(int dirfd, const char *name, safe_why *why);

/* The user's own directory for state files when none is named: Linux
 * /run/vmaccel for root, else $XDG_RUNTIME_DIR/vmaccel, never a shared
 * /tmp path; Windows %LOCALAPPDATA%\vmaccel. 0, or -1 with *why (err
 * ENOENT: there is none; ENAMETOOLONG: it does not fit in `len`). */
int safe_default_dir(char *dir, size_t len, safe_why *why);

/* Writes `path`, a place the user chose. When its directory is the
 * caller's alone (as safe_dir_open checks) the file is replaced whole
 * (safe_file_replace, not durable); in a directory other users can write
 * (/tmp, a shared group directory) it is rewritten in place, because no
 * temporary file may be made there. 0, or -1 with *why. Linux only (its
 * user, `vmaccel run`, is not built for Windows). */
int safe_file_write_path(const char *path, const void *data, size_t len, safe_why *why);

#endif
