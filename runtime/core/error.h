/* Internal: setting the thread's detailed error message. */
#ifndef VA_CORE_ERROR_H
#define VA_CORE_ERROR_H

#include "core/printf_attr.h"
#include "vmaccel/common.h"

/* Records a detailed message for vmaccel_error_last() and returns `code`,
 * so that failures read `return va_fail(VMACCEL_EINVAL, "...", ...);`. The
 * arguments may include vmaccel_error_last() itself, to add context to a
 * failure from below. */
int va_fail(int code, const char *fmt, ...)
    VA_PRINTF(2, 3);

/* Maps an errno value to the closest VMACCEL_E* code. */
int va_errno_code(int err);

/* Clears the thread's message (start of a successful public call). */
void va_clear_error(void);

#endif
