#include "vmaccel/common.h"

#include <stdlib.h>

#define VA_STR_(x) #x
#define VA_STR(x) VA_STR_(x)

VMACCEL_API const char *vmaccel_version(void)
{
    return VA_STR(VMACCEL_VERSION_MAJOR) "." VA_STR(VMACCEL_VERSION_MINOR)
        "." VA_STR(VMACCEL_VERSION_PATCH);
}

VMACCEL_API unsigned vmaccel_version_number(void)
{
    return VMACCEL_VERSION_MAJOR * 10000 + VMACCEL_VERSION_MINOR * 100 +
           VMACCEL_VERSION_PATCH;
}

VMACCEL_API void vmaccel_buf_free(vmaccel_buf *buf)
{
    if (!buf)
        return;
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
}
