/* libFuzzer: the vmaccel command line. The input is argv (one argument per
 * line); after the first NUL byte comes the content of a scratch file that
 * the argument "@" names, so `smmu replay @` fuzzes the replay scenario
 * parser (JSON) and `topology --xml @` the XML path. Only the commands that
 * read and print are reached: pin and run act on processes and plot writes
 * where it is told, so they are left to their own tests. */
#include "cli.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 32

typedef int (*command_fn)(int, char **);

static const struct {
    const char *name;
    command_fn run;
} commands[] = {
    {"topology", cmd_topology}, {"plan", cmd_plan}, {"smmu", cmd_smmu},
    {"report", cmd_report},     {"probe", cmd_probe},
};

static char scratch[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* The commands print their results; keep libFuzzer's stderr. */
    if (!freopen("/dev/null", "w", stdout))
        return 1;
    snprintf(scratch, sizeof scratch, "/tmp/fuzz_cli.%d", (int)getpid());
    return 0;
}

static void write_scratch(const uint8_t *data, size_t size)
{
    FILE *f = fopen(scratch, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
}

/* Splits the argument text at newlines into argv (copied, NUL-terminated). */
static int split_args(char *text, char **argv)
{
    int argc = 0;
    for (char *line = strtok(text, "\n"); line && argc < MAX_ARGS; line = strtok(NULL, "\n"))
        argv[argc++] = strcmp(line, "@") ? line : scratch;
    argv[argc] = NULL;
    return argc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t arg_len = nul ? (size_t)(nul - data) : size;
    char *text = malloc(arg_len + 1);
    char *argv[MAX_ARGS + 1];
    if (!text)
        return 0;
    memcpy(text, data, arg_len);
    text[arg_len] = '\0';
    write_scratch(nul ? nul + 1 : data, nul ? size - arg_len - 1 : 0);
    int argc = split_args(text, argv);
    for (size_t i = 0; argc && i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[0], commands[i].name))
            commands[i].run(argc, argv);
    free(text);
    return 0;
}
