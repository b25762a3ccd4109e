#include "pb_walk.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

static size_t value_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

/* proto3 omits a singular scalar equal to its default (all-zero bytes). */
static int is_default(const ProtobufCFieldDescriptor *f, const void *member)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(const char *const *)member;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)member)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(const void *const *)member == NULL;
    default: {
        static const unsigned char zero[8];
        return memcmp(member, zero, value_size(f->type)) == 0;
    }
    }
}

size_t va_pb_field_count(const ProtobufCMessage *msg,
                         const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *)msg;
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return *(const size_t *)(base + f->quantifier_offset);
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
        f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
        return *(const protobuf_c_boolean *)(base + f->quantifier_offset) != 0;
    return !is_default(f, base + f->offset);
}

const void *va_pb_field_value(const ProtobufCMessage *msg,
                              const ProtobufCFieldDescriptor *f, size_t i)
{
    const char *member = (const char *)msg + f->offset;
    if (f->label != PROTOBUF_C_LABEL_REPEATED)
        return member;
    const char *array = *(const char *const *)member;
    return array + i * value_size(f->type);
}

void va_pb_json_name(const char *proto_name, char *out, size_t out_len)
{
    size_t o = 0;
    int upper = 0;
    for (const char *p = proto_name; *p && o + 1 < out_len; p++) {
        if (*p == '_') {
            upper = 1;
            continue;
        }
        out[o++] = upper ? (char)toupper((unsigned char)*p) : *p;
        upper = 0;
    }
    out[o] = '\0';
}

const char *va_pb_enum_name(const ProtobufCFieldDescriptor *f, int value)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(f->descriptor, value);
    return v ? v->name : NULL;
}
