/* Internal: the pull queue's pollable descriptor, one per OS
 * (linux_wakefd.c: an eventfd; windows_wakefd.c: none yet). It is readable
 * exactly while it is set; set and clear are called under the queue's lock
 * and never block. */
#ifndef VA_LOOP_WAKEFD_H
#define VA_LOOP_WAKEFD_H

/* 0 with *fd a descriptor, or *fd = -1 where the OS build has none (then
 * vmaccel_events_fd() reports VMACCEL_ENOTSUP); a VMACCEL_E* code with a
 * message if it cannot be made. */
int va_wakefd_open(int *fd);
void va_wakefd_set(int fd);
void va_wakefd_clear(int fd);
void va_wakefd_close(int fd);

/* Why va_wakefd_open gives no descriptor on this OS ("" where it does). */
const char *va_wakefd_unsupported_reason(void);

#endif
