#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One message per thread, as errno: the caller reads it right after the
 * failing call, so a fixed buffer is enough and needs no allocation. */
static _Thread_local char last_message[512];

int va_fail(int code, const char *fmt, ...)
{
    /* Formatted aside first: the arguments may include the message itself
     * (va_fail(rc, "while X: %s", vmaccel_error_last())). */
    char message[sizeof last_message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    memcpy(last_message, message, sizeof last_message);
    return code;
}

void va_clear_error(void)
{
    last_message[0] = '\0';
}

int va_errno_code(int err)
{
    switch (err) {
    case EPERM:
    case EACCES:
        return VMACCEL_EPERM;
    case ENOENT:
        return VMACCEL_ENOENT;
    case ESRCH:
        return VMACCEL_EGONE;
    case ENOMEM:
    case EMFILE: /* the process's or the system's open-file limit: */
    case ENFILE: /* "a fixed capacity reached" */
        return VMACCEL_ENOMEM;
    case EINVAL:
        return VMACCEL_EINVAL;
    case EBUSY:
        return VMACCEL_EBUSY;
    case EAGAIN:
        return VMACCEL_EAGAIN;
    case ERANGE:
        return VMACCEL_ERANGE;
    case ENOSYS:
    case ENOTSUP:
        return VMACCEL_ENOTSUP;
    case ETIMEDOUT:
        return VMACCEL_ETIMEDOUT;
    default:
        return VMACCEL_EIO;
    }
}

VMACCEL_API const char *vmaccel_error_last(void)
{
    return last_message;
}

VMACCEL_API const char *vmaccel_strerror(int code)
{
    switch (code) {
    case VMACCEL_OK: return "VMACCEL_OK: success";
    case VMACCEL_EINVAL: return "VMACCEL_EINVAL: invalid argument or handle";
    case VMACCEL_ENOMEM: return "VMACCEL_ENOMEM: out of memory or capacity";
    case VMACCEL_ENOTSUP: return "VMACCEL_ENOTSUP: not supported";
    case VMACCEL_ENOENT: return "VMACCEL_ENOENT: no such object";
    case VMACCEL_EPERM: return "VMACCEL_EPERM: operation not permitted";
    case VMACCEL_ESTATE: return "VMACCEL_ESTATE: wrong state for this call";
    case VMACCEL_EIO: return "VMACCEL_EIO: operating system call failed";
    case VMACCEL_EPARSE: return "VMACCEL_EPARSE: malformed input";
    case VMACCEL_ETIMEDOUT: return "VMACCEL_ETIMEDOUT: timed out";
    case VMACCEL_EGONE: return "VMACCEL_EGONE: the VM, process or thread is gone";
    case VMACCEL_EBUSY: return "VMACCEL_EBUSY: resource busy";
    case VMACCEL_ERANGE: return "VMACCEL_ERANGE: value out of range";
    case VMACCEL_EAGAIN: return "VMACCEL_EAGAIN: nothing available now";
    case VMACCEL_EFAULT: return "VMACCEL_EFAULT: translation fault";
    default: return "VMACCEL_E?: unknown error code";
    }
}
