/* CPU sets and the Linux cpulist format ("0-3,8"). */
#include "platform/platform.h"

#include "core/error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void va_cpumask_zero(va_cpumask *m)
{
    memset(m, 0, sizeof *m);
}

void va_cpumask_set(va_cpumask *m, unsigned cpu)
{
    if (cpu < VA_MAX_CPUS)
        m->bits[cpu / 64] |= 1ull << (cpu % 64);
}

bool va_cpumask_isset(const va_cpumask *m, unsigned cpu)
{
    return cpu < VA_MAX_CPUS && (m->bits[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned va_cpumask_count(const va_cpumask *m)
{
    unsigned n = 0;
    for (size_t i = 0; i < VA_MAX_CPUS / 64; i++)
        n += (unsigned)__builtin_popcountll(m->bits[i]);
    return n;
}

bool va_cpumask_empty(const va_cpumask *m)
{
    return va_cpumask_count(m) == 0;
}

bool va_cpumask_equal(const va_cpumask *a, const va_cpumask *b)
{
    return memcmp(a->bits, b->bits, sizeof a->bits) == 0;
}

void va_cpumask_and(va_cpumask *dst, const va_cpumask *a, const va_cpumask *b)
{
    for (size_t i = 0; i < VA_MAX_CPUS / 64; i++)
        dst->bits[i] = a->bits[i] & b->bits[i];
}

void va_cpumask_andnot(va_cpumask *dst, const va_cpumask *a, const va_cpumask *b)
{
    for (size_t i = 0; i < VA_MAX_CPUS / 64; i++)
        dst->bits[i] = a->bits[i] & ~b->bits[i];
}

static int parse_cpu(const char **s, unsigned long *out)
{
    if (!isdigit((unsigned char)**s))
        return -1;
    char *end;
    errno = 0;
    *out = strtoul(*s, &end, 10);
    if (errno || *out >= VA_MAX_CPUS)
        return -1;
    *s = end;
    return 0;
}

int va_cpumask_parse(const char *list, va_cpumask *m)
{
    va_cpumask_zero(m);
    if (!list)
        return va_fail(VMACCEL_EPARSE, "cpulist is NULL");
    const char *s = list;
    while (isspace((unsigned char)*s))
        s++;
    while (*s && !isspace((unsigned char)*s)) {
        unsigned long lo, hi;
        if (parse_cpu(&s, &lo))
            return va_fail(VMACCEL_EPARSE, "cpulist \"%.64s\": expected a CPU "
                           "number below %d", list, VA_MAX_CPUS);
        hi = lo;
        if (*s == '-' && (s++, parse_cpu(&s, &hi) || hi < lo))
            return va_fail(VMACCEL_EPARSE, "cpulist \"%.64s\": bad range", list);
        for (unsigned long c = lo; c <= hi; c++)
            va_cpumask_set(m, (unsigned)c);
        if (*s == ',')
            s++;
        else if (*s && !isspace((unsigned char)*s))
            return va_fail(VMACCEL_EPARSE, "cpulist \"%.64s\": unexpected '%c'",
                           list, *s);
    }
    while (isspace((unsigned char)*s))
        s++;
    if (*s)
        return va_fail(VMACCEL_EPARSE, "cpulist \"%.64s\": trailing text", list);
    return 0;
}

void va_cpumask_format(const va_cpumask *m, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (unsigned c = 0; c < VA_MAX_CPUS && used < len; c++) {
        if (!va_cpumask_isset(m, c))
            continue;
        unsigned e = c;
        while (e + 1 < VA_MAX_CPUS && va_cpumask_isset(m, e + 1))
            e++;
        int n = e == c ? snprintf(buf + used, len - used, "%s%u", used ? "," : "", c)
                       : snprintf(buf + used, len - used, "%s%u-%u", used ? "," : "", c, e);
        used += n > 0 ? (size_t)n : 0;
        c = e;
    }
}
