/* Human-readable rendering of any protobuf-c message, in protobuf's text
 * format (the layout `protoc --decode` prints), so a reader can move
 * between `vmaccel report` and protoc output without surprises. */
#include "render.h"

#include "pb_walk.h"

#include <inttypes.h>

static void render_message(const ProtobufCMessage *msg, va_strbuf *out, int depth);

static void render_string(const char *s, va_strbuf *out)
{
    va_strbuf_puts(out, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            va_strbuf_printf(out, "\\%c", *p);
        else if (*p == '\n')
            va_strbuf_puts(out, "\\n");
        else if (*p < 0x20 || *p == 0x7f)
            va_strbuf_printf(out, "\\%03o", *p);
        else
            va_strbuf_printf(out, "%c", *p);
    }
    va_strbuf_puts(out, "\"");
}

static void render_scalar(const ProtobufCFieldDescriptor *f, const void *v,
                          va_strbuf *out)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        va_strbuf_printf(out, "%" PRId32, *(const int32_t *)v); break;
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        va_strbuf_printf(out, "%" PRIu32, *(const uint32_t *)v); break;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        va_strbuf_printf(out, "%" PRId64, *(const int64_t *)v); break;
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        va_strbuf_printf(out, "%" PRIu64, *(const uint64_t *)v); break;
    case PROTOBUF_C_TYPE_FLOAT:
        va_strbuf_printf(out, "%g", (double)*(const float *)v); break;
    case PROTOBUF_C_TYPE_DOUBLE:
        va_strbuf_printf(out, "%g", *(const double *)v); break;
    case PROTOBUF_C_TYPE_BOOL:
        va_strbuf_puts(out, *(const protobuf_c_boolean *)v ? "true" : "false"); break;
    case PROTOBUF_C_TYPE_ENUM: {
        const char *name = va_pb_enum_name(f, *(const int *)v);
        if (name)
            va_strbuf_puts(out, name);
        else
            va_strbuf_printf(out, "%d", *(const int *)v);
        break;
    }
    case PROTOBUF_C_TYPE_STRING:
        render_string(*(const char *const *)v, out); break;
    case PROTOBUF_C_TYPE_BYTES:
        va_strbuf_printf(out, "<%zu bytes>", ((const ProtobufCBinaryData *)v)->len);
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        break;
    }
}

static void render_value(const ProtobufCFieldDescriptor *f, const void *v,
                         va_strbuf *out, int depth)
{
    va_strbuf_printf(out, "%*s%s", depth * 2, "", f->name);
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        va_strbuf_puts(out, " {\n");
        render_message(*(const ProtobufCMessage *const *)v, out, depth + 1);
        va_strbuf_printf(out, "%*s}\n", depth * 2, "");
        return;
    }
    va_strbuf_puts(out, ": ");
    render_scalar(f, v, out);
    va_strbuf_puts(out, "\n");
}

/* Repeated scalars use the text format's list form, "cpus: [0, 1, 2]",
 * which keeps CPU lists on one line. */
static void render_list(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f,
                        size_t n, va_strbuf *out, int depth)
{
    va_strbuf_printf(out, "%*s%s: [", depth * 2, "", f->name);
    for (size_t k = 0; k < n; k++) {
        if (k)
            va_strbuf_puts(out, ", ");
        render_scalar(f, va_pb_field_value(msg, f, k), out);
    }
    va_strbuf_puts(out, "]\n");
}

static void render_message(const ProtobufCMessage *msg, va_strbuf *out, int depth)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        size_t n = va_pb_field_count(msg, f);
        if (n && f->label == PROTOBUF_C_LABEL_REPEATED &&
            f->type != PROTOBUF_C_TYPE_MESSAGE) {
            render_list(msg, f, n, out, depth);
            continue;
        }
        for (size_t k = 0; k < n; k++)
            render_value(f, va_pb_field_value(msg, f, k), out, depth);
    }
}

int va_render_text(const ProtobufCMessage *msg, va_strbuf *out)
{
    render_message(msg, out, 0);
    return out->failed ? -1 : 0;
}
