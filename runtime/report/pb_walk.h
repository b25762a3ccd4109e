/* Internal: visits the present fields of any protobuf-c message, the one
 * traversal behind the JSON and text renderings. */
#ifndef VA_REPORT_PB_WALK_H
#define VA_REPORT_PB_WALK_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

/* Number of values a field holds in `msg`: 0 when absent or (proto3) equal
 * to its default, the element count for repeated fields, 1 otherwise. */
size_t va_pb_field_count(const ProtobufCMessage *msg,
                         const ProtobufCFieldDescriptor *f);

/* Pointer to value `i` of the field (an element of the repeated array, or
 * the member itself). */
const void *va_pb_field_value(const ProtobufCMessage *msg,
                              const ProtobufCFieldDescriptor *f, size_t i);

/* protobuf's JSON name for a field: lowerCamelCase of the proto name. */
void va_pb_json_name(const char *proto_name, char *out, size_t out_len);

/* The enum value's name, or NULL for a value the schema does not know. */
const char *va_pb_enum_name(const ProtobufCFieldDescriptor *f, int value);

#endif
