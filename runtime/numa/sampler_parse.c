/* Parsers for the /proc files the sampler reads. Every input is untrusted
 * text: bounded scans, no assumptions about field counts. */
#include "numa/sampler.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int va_parse_stat_cpu(const char *stat)
{
    /* The comm (field 2) may hold spaces and ')': fields resume after the
     * last ')'. Field 3 follows it; the processor is field 39. One pass,
     * no library scans: this runs for every vCPU every period. */
    const char *close = NULL, *p;
    for (p = stat; *p; p++)
        if (*p == ')')
            close = p;
    if (!close)
        return -1;
    int field = 2;
    for (p = close + 1; *p && field < 39; p++)
        field += *p == ' ';
    if (field < 39 || *p < '0' || *p > '9')
        return -1;
    long cpu = 0;
    for (; *p >= '0' && *p <= '9' && cpu < 1 << 20; p++)
        cpu = cpu * 10 + (*p - '0');
    if (cpu >= 1 << 20 || (*p && *p != ' ' && *p != '\n'))
        return -1;
    return (int)cpu;
}

int va_parse_schedstat(const char *text, uint64_t *runtime_ns)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *text == '-')
        return -1;
    *runtime_ns = v;
    return 0;
}

static unsigned logical_node(const vmaccel_topology *t, long os_node)
{
    for (unsigned i = 0; i < va_topology_nodes(t); i++)
        if ((long)t->objects[VMACCEL_OBJ_NUMA_NODE][i].os_index == os_node)
            return i;
    return VMACCEL_NO_INDEX;
}

static int field_value(const char *line, const char *key, unsigned long long *out)
{
    const char *p = strstr(line, key);
    if (!p)
        return -1;
    char *end;
    errno = 0;
    *out = strtoull(p + strlen(key), &end, 10);
    return errno || end == p + strlen(key) ? -1 : 0;
}

int va_parse_sched_faults(const char *text, const vmaccel_topology *topo,
                          bool *have, uint64_t *local, uint64_t *remote)
{
    *have = false;
    *local = *remote = 0;
    const char *cur = strstr(text, "current_node=");
    if (!cur)
        return 0; /* kernel without NUMA balancing: no counters */
    long cur_node = strtol(cur + strlen("current_node="), NULL, 10);
    for (const char *line = strstr(text, "numa_faults node="); line;
         line = strstr(line + 1, "numa_faults node=")) {
        const char *eol = strchr(line, '\n');
        char buf[256];
        size_t n = eol ? (size_t)(eol - line) : strlen(line);
        if (n >= sizeof buf)
            n = sizeof buf - 1;
        memcpy(buf, line, n);
        buf[n] = '\0';
        unsigned long long node, priv, shared;
        if (field_value(buf, "node=", &node) || field_value(buf, "task_private=", &priv) ||
            field_value(buf, "task_shared=", &shared))
            continue;
        /* A kernel built with NUMA balancing but running with it off
         * prints the lines with every count zero: nothing to learn, and
         * counting them as counters would keep the sampler reading this
         * file every period for every vCPU. */
        if (logical_node(topo, (long)node) == VMACCEL_NO_INDEX || priv + shared == 0)
            continue;
        *have = true;
        if ((long)node == cur_node)
            *local += priv + shared;
        else
            *remote += priv + shared;
    }
    return 0;
}
