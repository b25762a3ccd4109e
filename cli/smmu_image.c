/*
 * The guest memory image of `vmaccel smmu replay`: regions of guest
 * physical memory loaded from hex strings or files (whole, or a slice at
 * an offset, so that one file can hold many runs of pages), read and
 * written by the SMMU model through bounds-checked callbacks. Everything
 * in the scenario and the files is untrusted input.
 */
#include "smmu_image.h"

#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define MAX_IMAGE_BYTES (1u << 30) /* a guest RAM image of 1 GiB */
#define PAGE_SHIFT 12

static smmu_region *find(smmu_image *im, uint64_t addr, size_t len)
{
    for (size_t i = 0; i < im->n; i++) {
        smmu_region *r = &im->r[i];
        if (addr >= r->base && addr - r->base <= r->len && len <= r->len - (addr - r->base))
            return r;
    }
    return NULL;
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts the touched pages and drops repeats. */
static void compact(smmu_image *im)
{
    if (!im->npages)
        return;
    qsort(im->pages, im->npages, sizeof *im->pages, by_value);
    size_t n = 1;
    for (size_t i = 1; i < im->npages; i++)
        if (im->pages[i] != im->pages[n - 1])
            im->pages[n++] = im->pages[i];
    im->npages = n;
}

/* Records the pages of [addr, addr+len); a failed allocation only stops
 * the record growing (the replay itself goes on). */
static void touch(smmu_image *im, uint64_t addr, size_t len)
{
    if (!im->track || !len)
        return;
    for (uint64_t p = addr >> PAGE_SHIFT; p <= (addr + len - 1) >> PAGE_SHIFT; p++) {
        if (im->npages && im->pages[im->npages - 1] == p)
            continue;
        if (im->npages == im->cap)
            compact(im);
        if (im->npages == im->cap) {
            size_t cap = im->cap ? 2 * im->cap : 256;
            uint64_t *pages = realloc(im->pages, cap * sizeof *pages);
            if (!pages)
                return;
            im->pages = pages;
            im->cap = cap;
        }
        im->pages[im->npages++] = p;
    }
}

int smmu_image_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    smmu_region *r = find(ctx, addr, len);
    if (!r)
        return -1; /* outside the image: an external abort */
    memcpy(buf, r->bytes + (addr - r->base), len);
    touch(ctx, addr, len);
    return 0;
}

int smmu_image_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
    smmu_region *r = find(ctx, addr, len);
    if (!r)
        return -1;
    memcpy(r->bytes + (addr - r->base), buf, len);
    touch(ctx, addr, len);
    return 0;
}

int smmu_image_cas(void *ctx, uint64_t addr, uint64_t *expected, uint64_t desired)
{
    uint8_t b[8];
    if (smmu_image_read(ctx, addr, b, 8))
        return -1;
    uint64_t now = 0;
    for (int i = 7; i >= 0; i--)
        now = now << 8 | b[i];
    if (now != *expected) {
        *expected = now;
        return 1;
    }
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(desired >> 8 * i);
    return smmu_image_write(ctx, addr, b, 8) ? -1 : 0;
}

int smmu_image_print_touched(smmu_image *im)
{
    compact(im);
    printf("{\"touched\":[");
    for (size_t i = 0; i < im->npages;) {
        size_t j = i + 1;
        while (j < im->npages && im->pages[j] == im->pages[j - 1] + 1)
            j++;
        printf("%s[\"0x%llx\",%zu]", i ? "," : "",
               (unsigned long long)(im->pages[i] << PAGE_SHIFT), j - i);
        i = j;
    }
    printf("]}\n");
    return 0;
}

void smmu_image_free(smmu_image *im)
{
    for (size_t i = 0; i < im->n; i++)
        free(im->r[i].bytes);
    free(im->r);
    free(im->pages);
}

/* A number given as a JSON integer or a "0x..."/decimal string. */
static int get_u64(json_object *o, uint64_t *out)
{
    if (json_object_is_type(o, json_type_int)) {
        if (json_object_get_int64(o) < 0)
            return -1;
        *out = json_object_get_uint64(o);
        return 0;
    }
    if (!json_object_is_type(o, json_type_string))
        return -1;
    const char *s = json_object_get_string(o);
    char *end;
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int smmu_json_u64(json_object *obj, const char *key, bool required,
                  uint64_t *out, const char *what)
{
    json_object *o;
    if (!json_object_object_get_ex(obj, key, &o) || json_object_is_type(o, json_type_null)) {
        if (required)
            return cli_error(-1, "smmu", "%s: \"%s\" is missing", what, key);
        return 1;
    }
    if (get_u64(o, out))
        return cli_error(-1, "smmu", "%s: \"%s\" is not a non-negative number "
                         "(JSON integer or \"0x...\" string)", what, key);
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int load_hex(const char *hex, smmu_region *r, const char *what)
{
    size_t n = strlen(hex);
    r->bytes = malloc(n / 2 + 1);
    if (!r->bytes)
        return cli_error(-1, "smmu", "%s: out of memory", what);
    int hi = -1;
    for (size_t i = 0; i < n; i++) {
        if (hex[i] == ' ' || hex[i] == '\n' || hex[i] == '\t' || hex[i] == '\r')
            continue;
        int v = hexval((unsigned char)hex[i]);
        if (v < 0)
            return cli_error(-1, "smmu", "%s: \"hex\" has a non-hex character at %zu",
                             what, i);
        if (hi < 0) {
            hi = v;
        } else {
            r->bytes[r->len++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0)
        return cli_error(-1, "smmu", "%s: \"hex\" has an odd number of digits", what);
    return 0;
}

/* The slice [offset, offset+length) of a file; length UINT64_MAX: to the
 * end of the file. */
static int load_file(const char *dir, const char *name, uint64_t offset,
                     uint64_t length, smmu_region *r, const char *what)
{
    char path[4096];
    if (name[0] == '/')
        snprintf(path, sizeof path, "%s", name);
    else
        snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_error(-1, "smmu", "%s: cannot open %s: %s", what, path, strerror(errno));
    off_t size = -1;
    if (!fseeko(f, 0, SEEK_END))
        size = ftello(f);
    if (size < 0 || offset > (uint64_t)size) {
        fclose(f);
        return cli_error(-1, "smmu", "%s: %s is unreadable or shorter than \"offset\" %llu",
                         what, path, (unsigned long long)offset);
    }
    uint64_t avail = (uint64_t)size - offset;
    if (length == UINT64_MAX)
        length = avail;
    if (length > avail || length > MAX_IMAGE_BYTES || fseeko(f, (off_t)offset, SEEK_SET)) {
        fclose(f);
        return cli_error(-1, "smmu", "%s: %llu bytes at offset %llu of %s: beyond its "
                         "%lld bytes, or more than %u MiB", what,
                         (unsigned long long)length, (unsigned long long)offset, path,
                         (long long)size, MAX_IMAGE_BYTES >> 20);
    }
    r->bytes = malloc((size_t)length + 1);
    r->len = r->bytes ? fread(r->bytes, 1, (size_t)length, f) : 0;
    fclose(f);
    if (!r->bytes || r->len != (size_t)length)
        return cli_error(-1, "smmu", "%s: reading %s failed", what, path);
    return 0;
}

/* One region: "base", and exactly one of "hex" and "file" (with optional
 * "offset" and "length", which only a file has). */
static int load_region(json_object *e, const char *dir, smmu_region *r, const char *what)
{
    json_object *hex, *file;
    if (!json_object_is_type(e, json_type_object))
        return cli_error(-1, "smmu", "%s must be an object", what);
    if (smmu_json_u64(e, "base", true, &r->base, what))
        return -1;
    bool has_hex = json_object_object_get_ex(e, "hex", &hex);
    bool has_file = json_object_object_get_ex(e, "file", &file);
    if (has_hex == has_file)
        return cli_error(-1, "smmu", "%s needs exactly one of \"hex\" and \"file\"", what);
    json_object *src = has_hex ? hex : file;
    if (!json_object_is_type(src, json_type_string))
        return cli_error(-1, "smmu", "%s: \"%s\" must be a string", what,
                         has_hex ? "hex" : "file");
    uint64_t offset = 0, length = UINT64_MAX;
    int ro = smmu_json_u64(e, "offset", false, &offset, what);
    int rl = smmu_json_u64(e, "length", false, &length, what);
    if (ro < 0 || rl < 0)
        return -1;
    if (has_hex && (!ro || !rl))
        return cli_error(-1, "smmu", "%s: \"offset\" and \"length\" go with \"file\"", what);
    if (!rl && length == UINT64_MAX)
        return cli_error(-1, "smmu", "%s: \"length\" too large", what);
    return has_hex ? load_hex(json_object_get_string(src), r, what)
                   : load_file(dir, json_object_get_string(src), offset, length, r, what);
}

int smmu_image_load(json_object *root, const char *dir, smmu_image *im)
{
    json_object *mem;
    if (!json_object_object_get_ex(root, "memory", &mem))
        return 0; /* no memory: every fetch aborts */
    if (!json_object_is_type(mem, json_type_array))
        return cli_error(-1, "smmu", "\"memory\" must be an array");
    size_t n = json_object_array_length(mem);
    im->r = calloc(n ? n : 1, sizeof *im->r);
    if (!im->r)
        return cli_error(-1, "smmu", "out of memory");
    for (size_t i = 0; i < n; i++) {
        char what[64];
        snprintf(what, sizeof what, "memory[%zu]", i);
        smmu_region *r = &im->r[im->n++];
        if (load_region(json_object_array_get_idx(mem, i), dir, r, what))
            return -1;
        if (r->len && r->base + r->len - 1 < r->base)
            return cli_error(-1, "smmu", "%s wraps around the address space", what);
        im->total += r->len;
        if (im->total > MAX_IMAGE_BYTES)
            return cli_error(-1, "smmu", "memory image larger than %u MiB",
                             MAX_IMAGE_BYTES >> 20);
    }
    return 0;
}
