/* Internal: rendering protobuf-c messages as text or JSON. */
#ifndef VA_REPORT_RENDER_H
#define VA_REPORT_RENDER_H

#include "core/printf_attr.h"

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

/* A growable, always NUL-terminated string. */
typedef struct va_strbuf {
    char *data;
    size_t len, cap;
    int failed;
} va_strbuf;

int va_strbuf_puts(va_strbuf *b, const char *s);
int va_strbuf_printf(va_strbuf *b, const char *fmt, ...)
    VA_PRINTF(2, 3);

/* Appends the message to `out`; 0 or -1 when out of memory. */
int va_render_json(const ProtobufCMessage *msg, va_strbuf *out);
int va_render_text(const ProtobufCMessage *msg, va_strbuf *out);

#endif
