/* The vmaccel command: shared helpers for the subcommands. */
#ifndef VMACCEL_CLI_H
#define VMACCEL_CLI_H

#include <vmaccel/vmaccel.h>

#include <stdio.h>

/* Exit codes: 0 success, 1 the operation failed, 2 bad usage. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} cli_command;

/* Makes the next getopt_long call start afresh, also after an earlier parse
 * that stopped in the middle of grouped short options (glibc keeps a
 * pointer into the old argv unless optind is 0). */
void cli_getopt_reset(void);

/* Every subcommand: int cmd_NAME(int argc, char **argv). */
int cmd_topology(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_pin(int argc, char **argv);
int cmd_smmu(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_plot(int argc, char **argv);

/* Prints "vmaccel CMD: MESSAGE" to stderr; returns `code`. */
int cli_error(int code, const char *cmd, const char *fmt, ...)
#if defined(__MINGW32__) /* mingw's C99 stdio: GNU printf, not the CRT's */
    __attribute__((format(gnu_printf, 3, 4)));
#else
    __attribute__((format(printf, 3, 4)));
#endif

/* Reports a failed library call: the code's name and the detailed message. */
int cli_lib_error(const char *cmd, const char *what, int rc);

/* Parses "text", "json" or "pb"/"protobuf". Returns 0 or -1. */
int cli_parse_format(const char *s, vmaccel_format *out);

/* Writes a report buffer to stdout; text and JSON get a trailing newline. */
int cli_write_buf(const vmaccel_buf *buf, vmaccel_format format);

/* Parses an unsigned decimal number with bounds; returns 0 or -1. */
int cli_parse_uint(const char *s, unsigned long max, unsigned long *out);

/* The first index of base[0..n) (sorted by `before`) whose element is
 * not before key: where key is, or where it would be inserted.
 * before(elem, key) is true when elem sorts before key. */
size_t cli_lower_bound(const void *base, size_t n, size_t size, const void *key,
                       int (*before)(const void *elem, const void *key));

/* Fills topology options from --xml / --synthetic (both NULL: live). */
int cli_topology_options(const char *cmd, const char *xml, const char *synthetic,
                         vmaccel_topology_options *opts);

#endif
