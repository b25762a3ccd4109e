/* A QEMU command line's guest NUMA layout (qemu_numa.h). */
#include "vmm/qemu_numa.h"

#include "core/error.h"
#include "vmm/procfs.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "512M", "2G", "1048576": QEMU's sizes (binary suffixes, default bytes). */
static bool parse_size(const char *s, size_t n, uint64_t *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno || end == buf)
        return false;
    unsigned shift = 0;
    switch (toupper((unsigned char)*end)) {
    case '\0': break;
    case 'B': shift = 0; break;
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    default: return false;
    }
    if (*end && end[1] && !(toupper((unsigned char)end[1]) == 'B' && !end[2]))
        return false;
    if (shift && v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return *out > 0;
}

/* Calls fn(key, klen, value, vlen) for each "key=value" of "a,k=v,...";
 * the first item (the type) comes as key only. */
typedef bool (*kv_fn)(void *ctx, const char *k, size_t kl, const char *v, size_t vl);

static bool each_option(const char *opts, void *ctx, kv_fn fn)
{
    for (const char *s = opts; *s;) {
        size_t len = strcspn(s, ",");
        const char *eq = memchr(s, '=', len);
        bool ok = eq ? fn(ctx, s, (size_t)(eq - s), eq + 1, len - (size_t)(eq - s) - 1)
                     : fn(ctx, s, len, NULL, 0);
        if (!ok)
            return false;
        s += len + (s[len] == ',');
    }
    return true;
}

static bool key_is(const char *k, size_t kl, const char *want)
{
    return kl == strlen(want) && !memcmp(k, want, kl);
}

static bool copy_id(char *dst, const char *v, size_t vl)
{
    if (vl == 0 || vl >= VA_QEMU_ID_LEN)
        return false;
    memcpy(dst, v, vl);
    dst[vl] = '\0';
    return true;
}

static bool is_memory_backend(const char *type, size_t n)
{
    return n > 15 && !memcmp(type, "memory-backend-", 15);
}

typedef struct object_ctx {
    bool first, is_backend;
    va_qemu_backend b;
} object_ctx;

static bool object_kv(void *p, const char *k, size_t kl, const char *v, size_t vl)
{
    object_ctx *o = p;
    if (o->first) {
        o->first = false;
        o->is_backend = !v && is_memory_backend(k, kl);
        return true;
    }
    if (!o->is_backend || !v)
        return true;
    if (key_is(k, kl, "id"))
        return copy_id(o->b.id, v, vl);
    if (key_is(k, kl, "size"))
        return parse_size(v, vl, &o->b.size);
    return true;
}

/* The JSON form libvirt uses: {"qom-type":"memory-backend-ram","id":..,"size":N}. */
static int object_json(const char *arg, object_ctx *o)
{
    json_object *j = json_tokener_parse(arg);
    json_object *type, *id, *size;
    int rc = 0;
    if (!j || !json_object_object_get_ex(j, "qom-type", &type)) {
        rc = va_fail(VMACCEL_EPARSE, "QEMU -object: malformed JSON");
    } else if (json_object_is_type(type, json_type_string) &&
               is_memory_backend(json_object_get_string(type),
                                 strlen(json_object_get_string(type)))) {
        o->is_backend = true;
        int64_t n = json_object_object_get_ex(j, "size", &size) ? json_object_get_int64(size) : 0;
        const char *s = json_object_object_get_ex(j, "id", &id) ? json_object_get_string(id) : "";
        if (n <= 0 || !s || !copy_id(o->b.id, s, strlen(s)))
            rc = va_fail(VMACCEL_EPARSE, "QEMU -object: a memory backend without id or size");
        o->b.size = (uint64_t)n;
    }
    json_object_put(j);
    return rc;
}

static int add_object(va_qemu_numa *out, const char *arg)
{
    object_ctx o = {.first = true};
    int rc = arg[0] == '{' ? object_json(arg, &o)
             : each_option(arg, &o, object_kv) ? 0
             : va_fail(VMACCEL_EPARSE, "QEMU -object %.60s: bad id or size", arg);
    if (rc || !o.is_backend)
        return rc;
    if (!o.b.id[0] || !o.b.size)
        return va_fail(VMACCEL_EPARSE, "QEMU -object %.60s: a memory backend needs id= and "
                       "size=", arg);
    if (out->nbackends == VA_QEMU_MAX_NODES)
        return va_fail(VMACCEL_EPARSE, "more than %d QEMU memory backends", VA_QEMU_MAX_NODES);
    out->backends[out->nbackends++] = o.b;
    return 0;
}

typedef struct node_ctx {
    bool first, is_node, legacy_mem;
    va_qemu_node n;
} node_ctx;

static bool cpus_range(va_qemu_node *n, const char *v, size_t vl)
{
    char buf[24];
    if (vl == 0 || vl >= sizeof buf || n->nranges == VA_QEMU_MAX_RANGES)
        return false;
    memcpy(buf, v, vl);
    buf[vl] = '\0';
    unsigned a, b;
    char extra;
    int got = sscanf(buf, "%u-%u%c", &a, &b, &extra);
    if (got == 1 || (got == 2 && a <= b)) {
        n->first[n->nranges] = a;
        n->last[n->nranges++] = got == 2 ? b : a;
        return a < 4096;
    }
    return false;
}

static bool node_kv(void *p, const char *k, size_t kl, const char *v, size_t vl)
{
    node_ctx *c = p;
    if (c->first) {
        c->first = false;
        c->is_node = !v && key_is(k, kl, "node");
        return true;
    }
    if (!c->is_node || !v)
        return true;
    if (key_is(k, kl, "cpus"))
        return cpus_range(&c->n, v, vl);
    if (key_is(k, kl, "memdev"))
        return copy_id(c->n.memdev, v, vl);
    if (key_is(k, kl, "mem"))
        c->legacy_mem = true;
    return true;
}

static int add_numa(va_qemu_numa *out, const char *arg)
{
    node_ctx c = {.first = true};
    c.n.backend = -1;
    if (!each_option(arg, &c, node_kv))
        return va_fail(VMACCEL_EPARSE, "QEMU -numa %.60s: bad cpus= or memdev=", arg);
    if (!c.is_node)
        return 0; /* -numa dist/cpu/hmat-*: not the memory layout */
    if (c.legacy_mem)
        return va_fail(VMACCEL_EPARSE, "QEMU -numa node,mem= (legacy, one mapping for every "
                       "node) is not read; use memdev=");
    if (!c.n.nranges)
        return va_fail(VMACCEL_EPARSE, "QEMU -numa %.60s: a node without cpus=", arg);
    if (out->nnodes == VA_QEMU_MAX_NODES)
        return va_fail(VMACCEL_EPARSE, "more than %d QEMU guest nodes", VA_QEMU_MAX_NODES);
    out->nodes[out->nnodes++] = c.n;
    return 0;
}

/* Each node's memdev names a backend -object defined. */
static int link_backends(va_qemu_numa *out)
{
    for (unsigned i = 0; i < out->nnodes; i++) {
        va_qemu_node *n = &out->nodes[i];
        if (!n->memdev[0])
            return va_fail(VMACCEL_EPARSE, "QEMU guest node %u has no memdev=", i);
        for (unsigned b = 0; b < out->nbackends && n->backend < 0; b++)
            if (!strcmp(out->backends[b].id, n->memdev))
                n->backend = (int)b;
        if (n->backend < 0)
            return va_fail(VMACCEL_EPARSE, "QEMU guest node %u: memdev=%s names no "
                           "-object memory backend", i, n->memdev);
    }
    return 0;
}

int va_qemu_parse_numa(const char *cmdline, size_t len, va_qemu_numa *out)
{
    memset(out, 0, sizeof *out);
    const char *end = cmdline + len;
    int rc = 0;
    for (const char *arg = cmdline; !rc && arg < end;
         arg += strnlen(arg, (size_t)(end - arg)) + 1) {
        bool object = !strcmp(arg, "-object") || !strcmp(arg, "--object");
        bool numa = !strcmp(arg, "-numa") || !strcmp(arg, "--numa");
        if (!object && !numa)
            continue;
        const char *value = arg + strlen(arg) + 1;
        if (value >= end || !memchr(value, '\0', (size_t)(end - value)))
            break; /* the option's value is cut off: nothing more to read */
        rc = object ? add_object(out, value) : add_numa(out, value);
        arg = value;
    }
    bool memdevs = false;
    for (unsigned i = 0; i < out->nnodes; i++)
        memdevs |= out->nodes[i].memdev[0] != '\0';
    if (!rc && !memdevs)
        out->nnodes = 0; /* guest nodes without memory of their own */
    if (!rc && out->nnodes)
        rc = link_backends(out);
    return rc;
}

bool va_qemu_node_has_cpu(const va_qemu_node *node, unsigned index)
{
    for (unsigned r = 0; r < node->nranges; r++)
        if (index >= node->first[r] && index <= node->last[r])
            return true;
    return false;
}

/* The highest-addressed unused writable mapping of exactly `size` bytes. */
static uint64_t take_mapping(const va_qemu_numa *numa, const char *maps, uint64_t size)
{
    uint64_t best = 0;
    va_map m;
    for (const char *l = maps; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (!va_parse_maps_line(l, &m) || m.end - m.start != size || m.perms[1] != 'w' ||
            m.perms[2] == 'x' || m.start <= best)
            continue;
        bool used = false;
        for (unsigned b = 0; b < numa->nbackends && !used; b++)
            used = numa->backends[b].start == m.start;
        if (!used)
            best = m.start;
    }
    return best;
}

int va_qemu_match_backends(va_qemu_numa *numa, const char *maps)
{
    for (unsigned b = 0; b < numa->nbackends; b++) {
        va_qemu_backend *be = &numa->backends[b];
        bool wanted = false;
        for (unsigned i = 0; i < numa->nnodes; i++)
            wanted |= numa->nodes[i].backend == (int)b;
        if (!wanted)
            continue;
        if (!(be->start = take_mapping(numa, maps, be->size)))
            return va_fail(VMACCEL_ENOENT, "QEMU memory backend %s (%llu MiB): no mapping of "
                           "that size", be->id, (unsigned long long)(be->size >> 20));
    }
    return 0;
}
