#include "encode.h"

#include "core/error.h"
#include "render.h"

#include <stdlib.h>

static int encode_protobuf(const ProtobufCMessage *msg, vmaccel_buf *out)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *data = malloc(n + 1); /* +1: never malloc(0) for an empty message */
    if (!data)
        return va_fail(VMACCEL_ENOMEM, "out of memory for a %zu-byte report", n);
    out->len = protobuf_c_message_pack(msg, data);
    out->data = data;
    return 0;
}

static int encode_rendered(const ProtobufCMessage *msg, vmaccel_format format,
                           vmaccel_buf *out)
{
    va_strbuf s = {0};
    int rc = format == VMACCEL_FORMAT_JSON ? va_render_json(msg, &s)
                                           : va_render_text(msg, &s);
    if (rc == 0 && !s.data)
        rc = va_strbuf_puts(&s, "");
    if (rc || s.failed) {
        free(s.data);
        return va_fail(VMACCEL_ENOMEM, "out of memory rendering a report");
    }
    out->data = (uint8_t *)s.data;
    out->len = s.len;
    return 0;
}

int va_report_encode(const ProtobufCMessage *msg, vmaccel_format format,
                     vmaccel_buf *out)
{
    if (!out)
        return va_fail(VMACCEL_EINVAL, "output buffer pointer is NULL");
    out->data = NULL;
    out->len = 0;
    switch (format) {
    case VMACCEL_FORMAT_PROTOBUF:
        return encode_protobuf(msg, out);
    case VMACCEL_FORMAT_TEXT:
    case VMACCEL_FORMAT_JSON:
        return encode_rendered(msg, format, out);
    }
    return va_fail(VMACCEL_EINVAL, "unknown report format %d", (int)format);
}
