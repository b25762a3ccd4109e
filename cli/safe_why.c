/* safe_fail (safe_file.h), shared by the Linux and Windows safe_file. */
#include "safe_file.h"

#include <stdarg.h>
#include <stdio.h>

int safe_fail(safe_why *why, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->text, sizeof why->text, fmt, ap);
    va_end(ap);
    why->err = err;
    return -1;
}
