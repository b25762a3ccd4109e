/* Internal: encoding any report message into a caller-owned vmaccel_buf. */
#ifndef VA_REPORT_ENCODE_H
#define VA_REPORT_ENCODE_H

#include "vmaccel/common.h"

#include <protobuf-c/protobuf-c.h>

/* Protobuf bytes, protobuf text format or canonical JSON. Text and JSON
 * are NUL-terminated. */
int va_report_encode(const ProtobufCMessage *msg, vmaccel_format format,
                     vmaccel_buf *out);

#endif
