/* vmaccel_event_render: an Event message, decoded, in text or JSON. */
#include "core/error.h"
#include "report/encode.h"
#include "vmaccel.pb-c.h"
#include "vmaccel/report.h"

VMACCEL_API int vmaccel_event_render(const uint8_t *data, size_t len,
                                     vmaccel_format format, vmaccel_buf *out)
{
    if (!out || (!data && len))
        return va_fail(VMACCEL_EINVAL, "vmaccel_event_render: NULL data or out");
    Vmaccel__V1__Event *ev = vmaccel__v1__event__unpack(NULL, len, data);
    if (!ev)
        return va_fail(VMACCEL_EPARSE, "%zu bytes are not a vmaccel.v1.Event", len);
    int rc = va_report_encode(&ev->base, format, out);
    vmaccel__v1__event__free_unpacked(ev, NULL);
    return rc;
}
