/* The pull queue's descriptor on Windows: none. Windows has no eventfd, and
 * a C runtime descriptor cannot be waited on with select() or an IOCP, so
 * an int would promise what it cannot keep. Consumers there wait in
 * vmaccel_event_next() with a timeout instead; vmaccel_events_fd() says
 * so with VMACCEL_ENOTSUP. */
#include "loop/wakefd.h"

int va_wakefd_open(int *fd)
{
    *fd = -1;
    return 0;
}

void va_wakefd_set(int fd)
{
    (void)fd;
}

void va_wakefd_clear(int fd)
{
    (void)fd;
}

void va_wakefd_close(int fd)
{
    (void)fd;
}

const char *va_wakefd_unsupported_reason(void)
{
    return "no pollable event descriptor on Windows: wait in vmaccel_event_next() "
           "with a timeout";
}
