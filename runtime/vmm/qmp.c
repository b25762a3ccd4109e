/* A bounded QMP client (see qmp.h). QEMU's monitor is a unix socket:
 * POSIX only; elsewhere every call says so. */
#include "vmm/qmp.h"

#include "core/error.h"

#include <string.h>

#if defined(_WIN32)
int va_qmp_open(const char *path, va_qmp *q)
{
    (void)path;
    memset(q, 0, sizeof *q);
    q->fd = -1;
    return va_fail(VMACCEL_ENOTSUP, "QMP over a unix socket is not supported on this OS");
}

int va_qmp_query(va_qmp *q, const char *command, char **reply, size_t *len)
{
    (void)q, (void)command, (void)reply, (void)len;
    return va_fail(VMACCEL_ENOTSUP, "QMP over a unix socket is not supported on this OS");
}

void va_qmp_close(va_qmp *q)
{
    (void)q;
}
#else

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static int remaining_ms(const va_qmp *q)
{
    unsigned long long t = now_ns();
    return t >= q->deadline_ns ? 0 : (int)((q->deadline_ns - t + 999999) / 1000000);
}

static int connect_socket(va_qmp *q, const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (!path || !*path || strlen(path) >= sizeof sa.sun_path)
        return va_fail(VMACCEL_EINVAL, "QMP socket path \"%s\" is empty or longer than %zu "
                       "bytes", path ? path : "", sizeof sa.sun_path - 1);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    snprintf(q->path, sizeof q->path, "%s", path);
    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (q->fd < 0)
        return va_fail(va_errno_code(errno), "socket(AF_UNIX): %s", strerror(errno));
    if (connect(q->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
        int err = errno;
        return va_fail(err == ENOENT || err == ECONNREFUSED ? VMACCEL_ENOENT
                                                            : va_errno_code(err),
                       "QMP socket %s: %s%s", path, strerror(err),
                       err == ECONNREFUSED ? " (nothing listens there)" : "");
    }
    struct ucred cred;
    socklen_t clen = sizeof cred;
    if (getsockopt(q->fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 || cred.pid <= 0)
        return va_fail(VMACCEL_EIO, "QMP socket %s: cannot tell which process serves it",
                       path);
    q->peer_pid = cred.pid;
    return 0;
}

/* Reads more bytes into the buffer, within the deadline and the size bound. */
static int fill(va_qmp *q, const char *waiting_for)
{
    if (q->len >= VA_QMP_MAX_MESSAGE)
        return va_fail(VMACCEL_EPARSE, "QMP socket %s: a message longer than %u bytes "
                       "(%s)", q->path, VA_QMP_MAX_MESSAGE, waiting_for);
    if (q->cap - q->len < 4096) {
        size_t cap = q->cap ? q->cap * 2 : 16384;
        if (cap > VA_QMP_MAX_MESSAGE + 1)
            cap = VA_QMP_MAX_MESSAGE + 1;
        char *nb = realloc(q->buf, cap);
        if (!nb)
            return va_fail(VMACCEL_ENOMEM, "out of memory reading QMP");
        q->buf = nb;
        q->cap = cap;
    }
    struct pollfd p = {q->fd, POLLIN, 0};
    int ms = remaining_ms(q), r = ms ? poll(&p, 1, ms) : 0;
    if (r < 0 && errno == EINTR)
        return 0;
    if (r <= 0)
        return va_fail(r ? va_errno_code(errno) : VMACCEL_ETIMEDOUT,
                       "QMP socket %s: no %s within %d ms%s", q->path, waiting_for,
                       VA_QMP_TIMEOUT_MS, r ? "" : " (not a QEMU monitor, or another client "
                       "holds it: QEMU serves one at a time)");
    ssize_t n = read(q->fd, q->buf + q->len, q->cap - q->len - 1);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0)
        return va_fail(VMACCEL_EIO, "QMP socket %s closed %s", q->path,
                       q->len ? "in the middle of a message" : "before a reply");
    q->len += (size_t)n;
    return 0;
}

/* The next complete line (one QMP message), moved out of the buffer. */
static int next_message(va_qmp *q, const char *waiting_for, char **msg, size_t *len)
{
    for (;;) {
        char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - q->buf) + 1;
            if (!(*msg = malloc(n + 1)))
                return va_fail(VMACCEL_ENOMEM, "out of memory reading QMP");
            memcpy(*msg, q->buf, n);
            (*msg)[n] = '\0';
            *len = n;
            memmove(q->buf, q->buf + n, q->len - n);
            q->len -= n;
            return 0;
        }
        int rc = fill(q, waiting_for);
        if (rc)
            return rc;
    }
}

static int send_all(va_qmp *q, const char *text)
{
    size_t n = strlen(text), done = 0;
    while (done < n) {
        ssize_t w = send(q->fd, text + done, n - done, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = {q->fd, POLLOUT, 0};
            int ms = remaining_ms(q);
            if (!ms || poll(&p, 1, ms) <= 0)
                return va_fail(VMACCEL_ETIMEDOUT, "QMP socket %s: cannot send", q->path);
            continue;
        }
        if (w <= 0)
            return va_fail(VMACCEL_EIO, "QMP socket %s: send: %s", q->path, strerror(errno));
        done += (size_t)w;
    }
    return 0;
}

static int greeting(va_qmp *q)
{
    char *msg = NULL;
    size_t len;
    int rc = next_message(q, "QMP greeting", &msg, &len);
    va_qmp_msg m;
    if (!rc && (rc = va_qmp_classify(msg, len, &m)) != 0)
        rc = va_fail(rc, "QMP socket %s did not greet like QEMU: %s", q->path,
                     vmaccel_error_last());
    else if (!rc && m.kind != VA_QMP_GREETING)
        rc = va_fail(VMACCEL_EPARSE, "QMP socket %s: the first message is not QEMU's "
                     "greeting", q->path);
    if (!rc)
        snprintf(q->version, sizeof q->version, "%s", m.version);
    free(msg);
    return rc;
}

int va_qmp_open(const char *path, va_qmp *q)
{
    memset(q, 0, sizeof *q);
    q->fd = -1;
    q->deadline_ns = now_ns() + VA_QMP_TIMEOUT_MS * 1000000ull;
    int rc = connect_socket(q, path);
    if (!rc)
        rc = greeting(q);
    char *reply = NULL;
    size_t len;
    if (!rc)
        rc = va_qmp_query(q, "qmp_capabilities", &reply, &len);
    free(reply);
    if (rc)
        va_qmp_close(q);
    return rc;
}

int va_qmp_query(va_qmp *q, const char *command, char **reply, size_t *len)
{
    char cmd[128];
    long long id = ++q->next_id;
    snprintf(cmd, sizeof cmd, "{\"execute\": \"%s\", \"id\": %lld}\n", command, id);
    int rc = send_all(q, cmd);
    while (!rc) {
        char *msg;
        size_t n;
        va_qmp_msg m;
        if ((rc = next_message(q, command, &msg, &n)) != 0)
            break;
        if ((rc = va_qmp_classify(msg, n, &m)) != 0 || m.kind == VA_QMP_EVENT ||
            m.id != id) {
            free(msg); /* an event, or a reply to nothing we asked */
            if (rc)
                rc = va_fail(rc, "QMP socket %s, reply to %s: %s", q->path, command,
                             vmaccel_error_last());
            continue;
        }
        if (m.kind == VA_QMP_ERROR) {
            free(msg);
            return va_fail(VMACCEL_ENOTSUP, "QMP %s: %s", command, m.error);
        }
        if (m.kind != VA_QMP_RETURN) {
            free(msg);
            return va_fail(VMACCEL_EPARSE, "QMP socket %s: a second greeting", q->path);
        }
        *reply = msg;
        *len = n;
        return 0;
    }
    return rc;
}

void va_qmp_close(va_qmp *q)
{
    if (q->fd >= 0)
        close(q->fd);
    free(q->buf);
    q->fd = -1;
    q->buf = NULL;
    q->len = q->cap = 0;
}
#endif
