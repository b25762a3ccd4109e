/* Files no other user can redirect or edit (see safe_file.h). */
#include "safe_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define WRITABLE_BY_OTHERS (S_IWGRP | S_IWOTH)

static const char *others(mode_t mode)
{
    return mode & S_IWOTH ? "every user" : "its group";
}

/* `path` split into its directory and last component ("a/b/" -> "a", "b";
 * "b" -> ".", "b"; "/" -> "/", "."). */
static int split_path(const char *path, char *dir, size_t len, char *base, size_t blen)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t cut = n;
    while (cut > 0 && path[cut - 1] != '/')
        cut--;
    if (n == 1 && path[0] == '/')
        return snprintf(dir, len, "/") >= (int)len || snprintf(base, blen, ".") >= (int)blen;
    size_t dlen = cut > 1 ? cut - 1 : cut; /* drop the '/' unless it is the root */
    if (dlen + 1 > len || n - cut + 1 > blen || n == cut)
        return -1;
    if (dlen)
        memcpy(dir, path, dlen);
    else
        dir[dlen++] = '.';
    dir[dlen] = '\0';
    memcpy(base, path + cut, n - cut);
    base[n - cut] = '\0';
    return 0;
}

/* A directory only the effective user can write: owner and mode. */
static int check_dir(int fd, const char *path, safe_why *why)
{
    struct stat st;
    uid_t me = geteuid();
    if (fstat(fd, &st))
        return safe_fail(why, errno, "cannot stat %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return safe_fail(why, ENOTDIR, "%s is not a directory", path);
    if (st.st_uid != me)
        return safe_fail(why, EPERM, "%s is owned by uid %u, not you (uid %u)", path,
                    (unsigned)st.st_uid, (unsigned)me);
    if (st.st_mode & WRITABLE_BY_OTHERS)
        return safe_fail(why, EPERM, "%s is writable by %s (mode %04o)", path, others(st.st_mode),
                    (unsigned)(st.st_mode & 07777));
    return 0;
}

/* Creating in a directory others may write is safe only with the sticky
 * bit: otherwise they can rename our directory away and put theirs there. */
static int check_parent(int fd, const char *parent, const char *path, safe_why *why)
{
    struct stat st;
    if (fstat(fd, &st))
        return safe_fail(why, errno, "cannot stat %s: %s", parent, strerror(errno));
    if ((st.st_mode & WRITABLE_BY_OTHERS) && !(st.st_mode & S_ISVTX))
        return safe_fail(why, EPERM, "will not create %s: its parent %s is writable by %s "
                    "without the sticky bit (mode %04o)", path, parent, others(st.st_mode),
                    (unsigned)(st.st_mode & 07777));
    return 0;
}

static int is_symlink_at(int dirfd, const char *name)
{
    struct stat st;
    return !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode);
}

/* O_PATH: the owner and mode are checked even where the caller may not
 * read the directory (a root-owned 0700 one); then it is opened again
 * through the checked descriptor, so it is the very same directory. */
static int open_dir_at(int parent, const char *name, const char *path, safe_why *why)
{
    int at = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (at < 0) {
        int e = errno;
        if (is_symlink_at(parent, name))
            return safe_fail(why, ELOOP, "%s is a symbolic link, not a directory", path);
        return safe_fail(why, e, "cannot open the directory %s: %s", path, strerror(e));
    }
    int fd = -1;
    if (!check_dir(at, path, why)) {
        fd = openat(at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            safe_fail(why, errno, "cannot open the directory %s: %s", path, strerror(errno));
    }
    close(at);
    return fd;
}

int safe_dir_open(const char *path, bool create, safe_why *why)
{
    char parent[PATH_MAX], base[NAME_MAX + 1];
    if (split_path(path, parent, sizeof parent, base, sizeof base))
        return safe_fail(why, ENAMETOOLONG, "'%s' is not a usable directory name", path);
    int pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0)
        return safe_fail(why, errno, "cannot open %s (the parent of %s): %s", parent, path,
                    strerror(errno));
    int rc = create ? check_parent(pfd, parent, path, why) : 0;
    if (!rc && create) {
        bool made = mkdirat(pfd, base, 0700) == 0;
        if (!made && errno != EEXIST)
            rc = safe_fail(why, errno, "cannot create %s: %s", path, strerror(errno));
        /* The umask may have taken the owner's bits; nobody else can have
         * replaced the new directory meanwhile (check_parent). */
        else if (made && fchmodat(pfd, base, 0700, 0))
            rc = safe_fail(why, errno, "cannot chmod %s: %s", path, strerror(errno));
    }
    int fd = rc ? -1 : open_dir_at(pfd, base, path, why);
    close(pfd);
    return fd;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -1 : (errno = EIO, -1);
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A new file beside `name` whose name nobody can guess; O_EXCL|O_NOFOLLOW:
 * never an existing file, never through a symbolic link. */
static int create_temp(int dirfd, const char *name, mode_t mode, char *tmp, size_t len,
                       safe_why *why)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        unsigned long long r = 0;
        if (getrandom(&r, sizeof r, 0) != sizeof r)
            return safe_fail(why, errno, "getrandom: %s", strerror(errno));
        if (snprintf(tmp, len, ".%s.%016llx.tmp", name, r) >= (int)len)
            return safe_fail(why, ENAMETOOLONG, "the name %s is too long", name);
        int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd >= 0 || errno != EEXIST)
            return fd >= 0 ? fd : safe_fail(why, errno, "cannot create a temporary file for %s: %s",
                                       name, strerror(errno));
    }
    return safe_fail(why, EEXIST, "cannot create a temporary file for %s: 16 names taken", name);
}

int safe_file_replace(int dirfd, const char *name, const void *data, size_t len,
                      mode_t mode, bool durable, safe_why *why)
{
    char tmp[NAME_MAX + 1];
    int fd = create_temp(dirfd, name, mode, tmp, sizeof tmp, why);
    if (fd < 0)
        return -1;
    int rc = 0;
    if (write_all(fd, data, len))
        rc = safe_fail(why, errno, "cannot write %s: %s", tmp, strerror(errno));
    if (!rc && durable && fsync(fd))
        rc = safe_fail(why, errno, "fsync of %s failed: %s", tmp, strerror(errno));
    if (close(fd) && !rc)
        rc = safe_fail(why, errno, "cannot write %s: %s", tmp, strerror(errno));
    if (!rc && renameat(dirfd, tmp, dirfd, name))
        rc = safe_fail(why, errno, "cannot rename %s to %s: %s", tmp, name, strerror(errno));
    if (rc) {
        unlinkat(dirfd, tmp, 0);
        return rc;
    }
    if (durable && fsync(dirfd))
        return safe_fail(why, errno, "fsync of the directory of %s failed: %s", name,
                    strerror(errno));
    return 0;
}

/* A file the caller may trust: regular, its own or root's, nobody else's
 * to write, not too large. */
static int check_file(const struct stat *st, const char *name, size_t max, safe_why *why)
{
    uid_t me = geteuid();
    if (!S_ISREG(st->st_mode))
        return safe_fail(why, EINVAL, "%s is not a regular file", name);
    if (st->st_uid != me && st->st_uid != 0)
        return safe_fail(why, EPERM, "%s is owned by uid %u, not you (uid %u) or root", name,
                    (unsigned)st->st_uid, (unsigned)me);
    if (st->st_mode & WRITABLE_BY_OTHERS)
        return safe_fail(why, EPERM, "%s is writable by %s (mode %04o): not trusted", name,
                    others(st->st_mode), (unsigned)(st->st_mode & 07777));
    if ((unsigned long long)st->st_size > max)
        return safe_fail(why, EFBIG, "%s has %lld bytes, more than %zu", name,
                    (long long)st->st_size, max);
    return 0;
}

static int read_all(int fd, size_t max, char **out, size_t *len)
{
    char *buf = malloc(max + 1);
    size_t used = 0;
    ssize_t n = 1;
    while (buf && used <= max && n != 0) {
        n = read(fd, buf + used, max + 1 - used);
        if (n < 0 && errno != EINTR)
            break;
        used += n > 0 ? (size_t)n : 0;
    }
    if (!buf || n < 0 || used > max) {
        free(buf);
        errno = !buf ? ENOMEM : n < 0 ? errno : EFBIG;
        return -1;
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    return 0;
}

/* Why a file could not be opened: it is refused either way; its lstat
 * only makes the message precise (a link, another user's file). */
static int open_failed(int dirfd, const char *name, size_t max, int err, safe_why *why)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
        return safe_fail(why, err, "cannot open %s: %s", name, strerror(err));
    if (S_ISLNK(st.st_mode))
        return safe_fail(why, ELOOP, "%s is a symbolic link: not followed", name);
    if (check_file(&st, name, max, why))
        return -1;
    return safe_fail(why, err, "cannot open %s: %s", name, strerror(err));
}

int safe_file_read(int dirfd, const char *name, size_t max, char **out, size_t *len,
                   safe_why *why)
{
    /* O_NONBLOCK: a FIFO planted under the name must not hang the open. */
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return open_failed(dirfd, name, max, errno, why);
    struct stat st;
    int rc = fstat(fd, &st) ? safe_fail(why, errno, "cannot stat %s: %s", name, strerror(errno))
                            : check_file(&st, name, max, why);
    if (!rc && read_all(fd, max, out, len))
        rc = safe_fail(why, errno, "cannot read %s: %s", name, strerror(errno));
    close(fd);
    return rc;
}

static int write_in_place(int dirfd, const char *name, const void *data, size_t len,
                          safe_why *why)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return safe_fail(why, errno, "cannot write %s: %s", name, strerror(errno));
    int rc = write_all(fd, data, len) ? safe_fail(why, errno, "cannot write %s: %s", name,
                                             strerror(errno)) : 0;
    if (close(fd) && !rc)
        rc = safe_fail(why, errno, "cannot write %s: %s", name, strerror(errno));
    return rc;
}

int safe_file_write_path(const char *path, const void *data, size_t len, safe_why *why)
{
    char dir[PATH_MAX], base[NAME_MAX + 1];
    size_t n = strlen(path);
    if (!n || path[n - 1] == '/' || split_path(path, dir, sizeof dir, base, sizeof base))
        return safe_fail(why, EINVAL, "'%s' is not a file name", path);
    int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return safe_fail(why, errno, "cannot open the directory %s: %s", dir, strerror(errno));
    safe_why shared;
    int rc = check_dir(dirfd, dir, &shared)
                 ? write_in_place(dirfd, base, data, len, why)
                 : safe_file_replace(dirfd, base, data, len, 0666, false, why);
    close(dirfd);
    return rc;
}

void safe_dir_close(int dirfd)
{
    if (dirfd >= 0)
        close(dirfd);
}

int safe_file_remove(int dirfd, const char *name, safe_why *why)
{
    return unlinkat(dirfd, name, 0) ? safe_fail(why, errno, "%s", strerror(errno)) : 0;
}

int safe_default_dir(char *dir, size_t len, safe_why *why)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n;
    if (geteuid() == 0)
        n = snprintf(dir, len, "/run/vmaccel");
    else if (xdg && *xdg)
        n = snprintf(dir, len, "%s/vmaccel", xdg);
    else
        return safe_fail(why, ENOENT, "no state directory (you are not root and "
                    "XDG_RUNTIME_DIR is not set)");
    return n < (int)len ? 0 : safe_fail(why, ENAMETOOLONG, "the state directory name is too long");
}
