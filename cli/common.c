/* Helpers shared by the vmaccel subcommands. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_error(int code, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "vmaccel %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int cli_lib_error(const char *cmd, const char *what, int rc)
{
    const char *detail = vmaccel_error_last();
    return cli_error(CLI_FAILED, cmd, "%s: %s%s%s", what, vmaccel_strerror(rc),
                     *detail ? ": " : "", detail);
}

int cli_parse_format(const char *s, vmaccel_format *out)
{
    if (!strcmp(s, "text"))
        *out = VMACCEL_FORMAT_TEXT;
    else if (!strcmp(s, "json"))
        *out = VMACCEL_FORMAT_JSON;
    else if (!strcmp(s, "pb") || !strcmp(s, "protobuf"))
        *out = VMACCEL_FORMAT_PROTOBUF;
    else
        return -1;
    return 0;
}

int cli_write_buf(const vmaccel_buf *buf, vmaccel_format format)
{
    if (format == VMACCEL_FORMAT_PROTOBUF && isatty(STDOUT_FILENO))
        fprintf(stderr, "vmaccel: writing binary protobuf to a terminal; "
                "redirect it to a file or a pipe\n");
    if (fwrite(buf->data, 1, buf->len, stdout) != buf->len)
        return -1;
    if (format != VMACCEL_FORMAT_PROTOBUF && buf->len &&
        buf->data[buf->len - 1] != '\n')
        fputc('\n', stdout);
    return fflush(stdout) == 0 ? 0 : -1;
}

int cli_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

int cli_topology_options(const char *cmd, const char *xml, const char *synthetic,
                         vmaccel_topology_options *opts)
{
    vmaccel_topology_options_init(opts);
    if (xml && synthetic)
        return cli_error(CLI_USAGE, cmd, "--xml and --synthetic exclude each other");
    if (xml) {
        opts->source = VMACCEL_TOPOLOGY_XML;
        opts->path = xml;
    } else if (synthetic) {
        opts->source = VMACCEL_TOPOLOGY_SYNTHETIC;
        opts->synthetic = synthetic;
    }
    return 0;
}

size_t cli_lower_bound(const void *base, size_t n, size_t size, const void *key,
                       int (*before)(const void *elem, const void *key))
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (before((const char *)base + mid * size, key))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void cli_getopt_reset(void)
{
    optind = 0;
}
