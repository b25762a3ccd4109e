/* The pull queue's descriptor on Linux: an eventfd whose counter is only
 * ever 0 or 1 (set on empty -> non-empty, cleared on non-empty -> empty).
 * Neither call can block (EFD_NONBLOCK, the counter never nears its
 * maximum). */
#include "loop/wakefd.h"

#include "core/error.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int va_wakefd_open(int *fd)
{
    *fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (*fd < 0)
        return va_fail(va_errno_code(errno), "eventfd for the event queue: %s",
                       strerror(errno));
    return 0;
}

void va_wakefd_set(int fd)
{
    uint64_t one = 1;
    if (write(fd, &one, sizeof one) < 0) {
        /* cannot happen: see above */
    }
}

void va_wakefd_clear(int fd)
{
    uint64_t v;
    if (read(fd, &v, sizeof v) < 0) {
        /* EAGAIN: already clear (a consumer read it despite the header) */
    }
}

void va_wakefd_close(int fd)
{
    close(fd);
}

const char *va_wakefd_unsupported_reason(void)
{
    return "";
}
