/* Canonical protobuf JSON for any protobuf-c message, built with json-c:
 * lowerCamelCase names, 64-bit integers as strings, enums by name, bytes as
 * base64, default-valued proto3 fields omitted. */
#include "render.h"

#include "pb_walk.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>

static json_object *message_to_json(const ProtobufCMessage *msg);

static json_object *u64_string(uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%" PRIu64, v);
    return json_object_new_string(s);
}

static json_object *i64_string(int64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%" PRId64, v);
    return json_object_new_string(s);
}

static json_object *double_json(double d)
{
    if (isnan(d))
        return json_object_new_string("NaN");
    if (isinf(d))
        return json_object_new_string(d > 0 ? "Infinity" : "-Infinity");
    return json_object_new_double(d);
}

static json_object *bytes_json(const ProtobufCBinaryData *b)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = (b->len + 2) / 3 * 4;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < b->len; i += 3) {
        uint32_t v = (uint32_t)b->data[i] << 16;
        if (i + 1 < b->len) v |= (uint32_t)b->data[i + 1] << 8;
        if (i + 2 < b->len) v |= b->data[i + 2];
        s[o++] = tbl[(v >> 18) & 63];
        s[o++] = tbl[(v >> 12) & 63];
        s[o++] = i + 1 < b->len ? tbl[(v >> 6) & 63] : '=';
        s[o++] = i + 2 < b->len ? tbl[v & 63] : '=';
    }
    s[o] = '\0';
    json_object *j = json_object_new_string(s);
    free(s);
    return j;
}

static json_object *value_to_json(const ProtobufCFieldDescriptor *f, const void *v)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_object_new_int64(*(const int32_t *)v);
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        return json_object_new_int64(*(const uint32_t *)v);
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return i64_string(*(const int64_t *)v);
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        return u64_string(*(const uint64_t *)v);
    case PROTOBUF_C_TYPE_FLOAT:
        return double_json(*(const float *)v);
    case PROTOBUF_C_TYPE_DOUBLE:
        return double_json(*(const double *)v);
    case PROTOBUF_C_TYPE_BOOL:
        return json_object_new_boolean(*(const protobuf_c_boolean *)v);
    case PROTOBUF_C_TYPE_ENUM: {
        const char *name = va_pb_enum_name(f, *(const int *)v);
        return name ? json_object_new_string(name)
                    : json_object_new_int(*(const int *)v);
    }
    case PROTOBUF_C_TYPE_STRING:
        return json_object_new_string(*(const char *const *)v);
    case PROTOBUF_C_TYPE_BYTES:
        return bytes_json(v);
    case PROTOBUF_C_TYPE_MESSAGE:
        return message_to_json(*(const ProtobufCMessage *const *)v);
    }
    return NULL;
}

static json_object *field_to_json(const ProtobufCMessage *msg,
                                  const ProtobufCFieldDescriptor *f, size_t n)
{
    if (f->label != PROTOBUF_C_LABEL_REPEATED)
        return value_to_json(f, va_pb_field_value(msg, f, 0));
    json_object *arr = json_object_new_array_ext((int)n);
    for (size_t i = 0; arr && i < n; i++)
        json_object_array_add(arr, value_to_json(f, va_pb_field_value(msg, f, i)));
    return arr;
}

static json_object *message_to_json(const ProtobufCMessage *msg)
{
    json_object *obj = json_object_new_object();
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; obj && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        size_t n = va_pb_field_count(msg, f);
        if (n == 0)
            continue;
        char name[128];
        va_pb_json_name(f->name, name, sizeof name);
        json_object_object_add(obj, name, field_to_json(msg, f, n));
    }
    return obj;
}

int va_render_json(const ProtobufCMessage *msg, va_strbuf *out)
{
    json_object *obj = message_to_json(msg);
    if (!obj)
        return -1;
    const char *s = json_object_to_json_string_ext(
        obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                 JSON_C_TO_STRING_NOSLASHESCAPE);
    int rc = s ? va_strbuf_puts(out, s) : -1;
    json_object_put(obj);
    return rc;
}
