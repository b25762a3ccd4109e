/* safe_file.h on Windows. Windows has no openat() and no directory
 * descriptors, and its owners and permissions are ACLs, not a uid and a
 * mode, so the same promises are kept another way:
 *  - a "dirfd" is a slot holding the checked directory's path and a handle
 *    to it opened without FILE_SHARE_DELETE: while the slot is open the
 *    directory cannot be renamed or removed, so files named under its path
 *    are in the very directory that was checked;
 *  - symbolic links and junctions (reparse points) are never followed:
 *    not as the directory, not as a file in it;
 *  - a directory made here gets an ACL for its owner alone (0700's
 *    counterpart); an existing one is trusted to its ACL, which for the
 *    default %LOCALAPPDATA%\vmaccel is the user's own. Owners are not
 *    compared as Linux compares uids.
 * safe_file_write_path is not here: its user, `vmaccel run`, is Linux-only. */
#define _CRT_RAND_S /* rand_s: the system's cryptographic generator */
#include "safe_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <sddl.h>

#define SLOTS 4

static struct {
    HANDLE dir; /* NULL: the slot is free */
    char path[MAX_PATH];
} slots[SLOTS];

/* A failed Win32 call as errno and a sentence ("...: Access denied"). */
static int fail_win(safe_why *why, const char *what, const char *path)
{
    DWORD e = GetLastError();
    int err = e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND ? ENOENT
              : e == ERROR_ACCESS_DENIED || e == ERROR_SHARING_VIOLATION ? EACCES
              : e == ERROR_FILE_EXISTS || e == ERROR_ALREADY_EXISTS ? EEXIST
                                                                    : EIO;
    return safe_fail(why, err, "%s %s: %s (Windows error %lu)", what, path, strerror(err),
                (unsigned long)e);
}

static bool joined(int dirfd, const char *name, char *out, size_t len)
{
    return dirfd >= 0 && dirfd < SLOTS && slots[dirfd].dir &&
           snprintf(out, len, "%s\\%s", slots[dirfd].path, name) < (int)len;
}

/* A directory only its owner may use: the counterpart of mode 0700. */
static bool make_private_dir(const char *path)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorA("D:P(A;OICI;FA;;;OW)",
                                                              SDDL_REVISION_1, &sd, NULL))
        return false;
    SECURITY_ATTRIBUTES sa = {sizeof sa, sd, FALSE};
    BOOL made = CreateDirectoryA(path, &sa);
    DWORD e = GetLastError();
    LocalFree(sd);
    SetLastError(e);
    return made;
}

int safe_dir_open(const char *path, bool create, safe_why *why)
{
    int slot = 0;
    while (slot < SLOTS && slots[slot].dir)
        slot++;
    if (slot == SLOTS)
        return safe_fail(why, EMFILE, "cannot open %s: %d directories are open", path, SLOTS);
    if (snprintf(slots[slot].path, MAX_PATH, "%s", path) >= MAX_PATH)
        return safe_fail(why, ENAMETOOLONG, "'%s' is not a usable directory name", path);
    if (create && !make_private_dir(path) && GetLastError() != ERROR_ALREADY_EXISTS)
        return fail_win(why, "cannot create", path);
    HANDLE h = CreateFileA(path, FILE_LIST_DIRECTORY, FILE_SHARE_READ | FILE_SHARE_WRITE,
                           NULL, OPEN_EXISTING,
                           FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return fail_win(why, "cannot open the directory", path);
    BY_HANDLE_FILE_INFORMATION info;
    int rc = 0;
    if (!GetFileInformationByHandle(h, &info))
        rc = fail_win(why, "cannot stat", path);
    else if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
        rc = safe_fail(why, ELOOP, "%s is a symbolic link or junction, not a directory", path);
    else if (!(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
        rc = safe_fail(why, ENOTDIR, "%s is not a directory", path);
    if (rc) {
        CloseHandle(h);
        return -1;
    }
    slots[slot].dir = h;
    return slot;
}

void safe_dir_close(int dirfd)
{
    if (dirfd >= 0 && dirfd < SLOTS && slots[dirfd].dir) {
        CloseHandle(slots[dirfd].dir);
        slots[dirfd].dir = NULL;
    }
}

static int write_all(HANDLE h, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        DWORD chunk = len > 1u << 30 ? 1u << 30 : (DWORD)len, done = 0;
        if (!WriteFile(h, p, chunk, &done, NULL) || done == 0)
            return -1;
        p += done;
        len -= done;
    }
    return 0;
}

/* A new file beside `name` whose name nobody can guess, never an existing
 * one (CREATE_NEW). */
static HANDLE create_temp(int dirfd, const char *name, char *tmp, size_t len, safe_why *why)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        unsigned a = 0, b = 0;
        char leaf[MAX_PATH];
        if (rand_s(&a) || rand_s(&b)) {
            safe_fail(why, EIO, "rand_s failed");
            return INVALID_HANDLE_VALUE;
        }
        if (snprintf(leaf, sizeof leaf, ".%s.%08x%08x.tmp", name, a, b) >= (int)sizeof leaf ||
            !joined(dirfd, leaf, tmp, len)) {
            safe_fail(why, ENAMETOOLONG, "the name %s is too long", name);
            return INVALID_HANDLE_VALUE;
        }
        HANDLE h = CreateFileA(tmp, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL,
                               NULL);
        if (h != INVALID_HANDLE_VALUE || GetLastError() != ERROR_FILE_EXISTS) {
            if (h == INVALID_HANDLE_VALUE)
                fail_win(why, "cannot create a temporary file", tmp);
            return h;
        }
    }
    safe_fail(why, EEXIST, "cannot create a temporary file for %s: 16 names taken", name);
    return INVALID_HANDLE_VALUE;
}

/* `mode` is left to the directory's ACL, which the file inherits. */
int safe_file_replace(int dirfd, const char *name, const void *data, size_t len,
                      mode_t mode, bool durable, safe_why *why)
{
    (void)mode;
    char tmp[MAX_PATH], path[MAX_PATH];
    if (!joined(dirfd, name, path, sizeof path))
        return safe_fail(why, ENAMETOOLONG, "the name %s is too long", name);
    HANDLE h = create_temp(dirfd, name, tmp, sizeof tmp, why);
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    int rc = 0;
    if (write_all(h, data, len))
        rc = fail_win(why, "cannot write", tmp);
    if (!rc && durable && !FlushFileBuffers(h))
        rc = fail_win(why, "cannot flush", tmp);
    CloseHandle(h);
    DWORD flags = MOVEFILE_REPLACE_EXISTING | (durable ? MOVEFILE_WRITE_THROUGH : 0);
    if (!rc && !MoveFileExA(tmp, path, flags))
        rc = fail_win(why, "cannot rename the temporary file to", path);
    if (rc)
        DeleteFileA(tmp);
    return rc;
}

static int read_all(HANDLE h, size_t size, char **out, size_t *len)
{
    char *buf = malloc(size + 1);
    size_t used = 0;
    DWORD n = 1;
    while (buf && used < size && n) {
        DWORD want = size - used > 1u << 30 ? 1u << 30 : (DWORD)(size - used);
        if (!ReadFile(h, buf + used, want, &n, NULL))
            break;
        used += n;
    }
    if (!buf || used != size) {
        free(buf);
        return -1;
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    return 0;
}

int safe_file_read(int dirfd, const char *name, size_t max, char **out, size_t *len,
                   safe_why *why)
{
    char path[MAX_PATH];
    if (!joined(dirfd, name, path, sizeof path))
        return safe_fail(why, ENAMETOOLONG, "the name %s is too long", name);
    HANDLE h = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                           FILE_FLAG_OPEN_REPARSE_POINT, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return fail_win(why, "cannot open", name);
    BY_HANDLE_FILE_INFORMATION info;
    unsigned long long size = 0;
    int rc = 0;
    if (!GetFileInformationByHandle(h, &info))
        rc = fail_win(why, "cannot stat", name);
    else if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
        rc = safe_fail(why, ELOOP, "%s is a symbolic link: not followed", name);
    else if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        rc = safe_fail(why, EINVAL, "%s is not a regular file", name);
    else if ((size = (unsigned long long)info.nFileSizeHigh << 32 | info.nFileSizeLow) > max)
        rc = safe_fail(why, EFBIG, "%s has %llu bytes, more than %zu", name, size, max);
    if (!rc && read_all(h, (size_t)size, out, len))
        rc = fail_win(why, "cannot read", name);
    CloseHandle(h);
    return rc;
}

int safe_file_remove(int dirfd, const char *name, safe_why *why)
{
    char path[MAX_PATH];
    if (!joined(dirfd, name, path, sizeof path))
        return safe_fail(why, ENAMETOOLONG, "the name %s is too long", name);
    return DeleteFileA(path) ? 0 : fail_win(why, "cannot delete", path);
}

int safe_default_dir(char *dir, size_t len, safe_why *why)
{
    const char *local = getenv("LOCALAPPDATA");
    if (!local || !*local)
        return safe_fail(why, ENOENT, "no state directory (LOCALAPPDATA is not set)");
    return snprintf(dir, len, "%s\\vmaccel", local) < (int)len
               ? 0
               : safe_fail(why, ENAMETOOLONG, "the state directory name is too long");
}
