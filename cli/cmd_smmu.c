/*
 * vmaccel smmu replay SCENARIO.json: replays translations against a guest
 * memory image and register values, through the register front end of
 * the SMMUv3 model, and prints one JSON object per query.
 */
#include "cli.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IMAGE_BYTES (256u << 20)

typedef struct region {
    uint64_t base;
    uint8_t *bytes;
    size_t len;
} region;

typedef struct image {
    region *r;
    size_t n;
    size_t total;
} image;

static region *find(image *im, uint64_t addr, size_t len)
{
    for (size_t i = 0; i < im->n; i++) {
        region *r = &im->r[i];
        if (addr >= r->base && addr - r->base <= r->len && len <= r->len - (addr - r->base))
            return r;
    }
    return NULL;
}

static int mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    region *r = find(ctx, addr, len);
    if (!r)
        return -1; /* outside the image: an external abort */
    memcpy(buf, r->bytes + (addr - r->base), len);
    return 0;
}

static int mem_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
    region *r = find(ctx, addr, len);
    if (!r)
        return -1;
    memcpy(r->bytes + (addr - r->base), buf, len);
    return 0;
}

static void image_free(image *im)
{
    for (size_t i = 0; i < im->n; i++)
        free(im->r[i].bytes);
    free(im->r);
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

static int field_u64(json_object *obj, const char *key, bool required,
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

static int load_hex(const char *hex, region *r, const char *what)
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

static int load_file(const char *dir, const char *name, region *r, const char *what)
{
    char path[4096];
    if (name[0] == '/')
        snprintf(path, sizeof path, "%s", name);
    else
        snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_error(-1, "smmu", "%s: cannot open %s: %s", what, path, strerror(errno));
    long size = -1;
    if (!fseek(f, 0, SEEK_END))
        size = ftell(f);
    if (size < 0 || (unsigned long)size > MAX_IMAGE_BYTES || fseek(f, 0, SEEK_SET)) {
        fclose(f);
        return cli_error(-1, "smmu", "%s: %s is unreadable or larger than %u MiB",
                         what, path, MAX_IMAGE_BYTES >> 20);
    }
    r->bytes = malloc((size_t)size + 1);
    r->len = r->bytes ? fread(r->bytes, 1, (size_t)size, f) : 0;
    fclose(f);
    if (!r->bytes || r->len != (size_t)size)
        return cli_error(-1, "smmu", "%s: reading %s failed", what, path);
    return 0;
}

static int load_memory(json_object *root, const char *dir, image *im)
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
        json_object *e = json_object_array_get_idx(mem, i), *hex, *file;
        if (!json_object_is_type(e, json_type_object))
            return cli_error(-1, "smmu", "%s must be an object", what);
        region *r = &im->r[im->n++];
        if (field_u64(e, "base", true, &r->base, what))
            return -1;
        bool has_hex = json_object_object_get_ex(e, "hex", &hex);
        bool has_file = json_object_object_get_ex(e, "file", &file);
        if (has_hex == has_file)
            return cli_error(-1, "smmu", "%s needs exactly one of \"hex\" and \"file\"", what);
        json_object *src = has_hex ? hex : file;
        if (!json_object_is_type(src, json_type_string))
            return cli_error(-1, "smmu", "%s: \"%s\" must be a string", what,
                             has_hex ? "hex" : "file");
        int rc = has_hex ? load_hex(json_object_get_string(src), r, what)
                         : load_file(dir, json_object_get_string(src), r, what);
        if (rc)
            return rc;
        if (r->base + r->len < r->base)
            return cli_error(-1, "smmu", "%s wraps around the address space", what);
        im->total += r->len;
        if (im->total > MAX_IMAGE_BYTES)
            return cli_error(-1, "smmu", "memory image larger than %u MiB",
                             MAX_IMAGE_BYTES >> 20);
    }
    return 0;
}

typedef struct regname {
    const char *name;
    uint64_t offset;
    unsigned size;
} regname;

/* Written in this order: bases and configuration first, enables last. */
static const regname regs[] = {
    {"CR1", 0x28, 4}, {"CR2", 0x2c, 4}, {"GBPA", 0x44, 4},
    {"IRQ_CTRL", 0x50, 4}, {"GERRORN", 0x64, 4},
    {"STRTAB_BASE", 0x80, 8}, {"STRTAB_BASE_CFG", 0x88, 4},
    {"CMDQ_BASE", 0x90, 8}, {"CMDQ_CONS", 0x9c, 4},
    {"EVENTQ_BASE", 0xa0, 8}, {"EVENTQ_PROD", 0x100a8, 4},
    {"EVENTQ_CONS", 0x100ac, 4}, {"CR0", 0x20, 4}, {"CMDQ_PROD", 0x98, 4},
};

static int load_registers(json_object *root, vmaccel_smmu *smmu)
{
    json_object *o;
    if (!json_object_object_get_ex(root, "registers", &o))
        return 0;
    if (!json_object_is_type(o, json_type_object))
        return cli_error(-1, "smmu", "\"registers\" must be an object");
    json_object_object_foreach(o, key, val) {
        (void)val;
        bool known = false;
        for (size_t i = 0; i < sizeof regs / sizeof *regs; i++)
            known |= !strcmp(key, regs[i].name);
        if (!known)
            return cli_error(-1, "smmu", "registers: unknown register \"%s\"", key);
    }
    for (size_t i = 0; i < sizeof regs / sizeof *regs; i++) {
        uint64_t v;
        int rc = field_u64(o, regs[i].name, false, &v, "registers");
        if (rc < 0)
            return -1;
        if (rc)
            continue;
        if (!strcmp(regs[i].name, "GBPA"))
            v |= 1u << 31; /* GBPA takes a value only with Update set */
        if (regs[i].size == 4 && v >> 32)
            return cli_error(-1, "smmu", "registers: %s is a 32-bit register", regs[i].name);
        rc = vmaccel_smmu_mmio_write(smmu, regs[i].offset, regs[i].size, v);
        if (rc)
            return cli_lib_error("smmu", regs[i].name, rc);
    }
    return 0;
}

static const char *event_name(unsigned e)
{
    switch (e) {
    case 0x01: return "F_UUT";
    case 0x02: return "C_BAD_STREAMID";
    case 0x03: return "F_STE_FETCH";
    case 0x04: return "C_BAD_STE";
    case 0x06: return "F_STREAM_DISABLED";
    case 0x08: return "C_BAD_SUBSTREAMID";
    case 0x09: return "F_CD_FETCH";
    case 0x0a: return "C_BAD_CD";
    case 0x0b: return "F_WALK_EABT";
    case 0x10: return "F_TRANSLATION";
    case 0x11: return "F_ADDR_SIZE";
    case 0x12: return "F_ACCESS";
    case 0x13: return "F_PERMISSION";
    default: return NULL;
    }
}

static int parse_access(json_object *q, unsigned *access, const char *what)
{
    json_object *a, *p;
    *access = 0;
    if (!json_object_object_get_ex(q, "access", &a))
        return cli_error(-1, "smmu", "%s: \"access\" is missing", what);
    if (!json_object_is_type(a, json_type_string))
        return cli_error(-1, "smmu", "%s: \"access\" must be a string of r, w, x", what);
    const char *s = json_object_get_string(a);
    for (; *s; s++) {
        if (*s == 'r')
            *access |= VMACCEL_SMMU_READ;
        else if (*s == 'w')
            *access |= VMACCEL_SMMU_WRITE;
        else if (*s == 'x')
            *access |= VMACCEL_SMMU_EXEC;
        else if (*s != '|')
            return cli_error(-1, "smmu", "%s: access \"%s\" (use r, w, x)", what,
                             json_object_get_string(a));
    }
    if (!*access)
        return cli_error(-1, "smmu", "%s: empty access", what);
    if (json_object_object_get_ex(q, "priv", &p)) {
        if (!json_object_is_type(p, json_type_boolean))
            return cli_error(-1, "smmu", "%s: \"priv\" must be true or false", what);
        if (json_object_get_boolean(p))
            *access |= VMACCEL_SMMU_PRIV;
    }
    return 0;
}

static void print_result(int rc, const vmaccel_smmu_result *r)
{
    if (!rc) {
        char perm[4];
        int n = 0;
        if (r->perm & VMACCEL_SMMU_READ)
            perm[n++] = 'r';
        if (r->perm & VMACCEL_SMMU_WRITE)
            perm[n++] = 'w';
        if (r->perm & VMACCEL_SMMU_EXEC)
            perm[n++] = 'x';
        perm[n] = 0;
        printf("{\"ok\":true,\"pa\":\"0x%llx\",\"size\":%llu,\"perm\":\"%s\"}\n",
               (unsigned long long)r->pa, (unsigned long long)r->size, perm);
        return;
    }
    const vmaccel_smmu_fault *f = &r->fault;
    const char *name = event_name(f->event);
    if (!name) {
        printf("{\"ok\":false,\"event\":null}\n"); /* aborted without an event */
        return;
    }
    printf("{\"ok\":false,\"event\":\"%s\"", name);
    if (f->stage)
        printf(",\"stage\":%u,\"level\":%d", f->stage, f->level);
    printf("}\n");
}

static int run_query(vmaccel_smmu *smmu, json_object *q, size_t i)
{
    char what[64];
    snprintf(what, sizeof what, "queries[%zu]", i);
    if (!json_object_is_type(q, json_type_object))
        return cli_error(-1, "smmu", "%s must be an object", what);
    uint64_t sid, iova, ssid = 0;
    unsigned access;
    if (field_u64(q, "sid", true, &sid, what) || field_u64(q, "iova", true, &iova, what))
        return -1;
    int has_ssid = field_u64(q, "ssid", false, &ssid, what);
    if (has_ssid < 0 || parse_access(q, &access, what))
        return -1;
    /* "ssid" 0 means no SubstreamID unless "ssv" says there is one. */
    json_object *ssv;
    bool with_ssid = has_ssid == 0 && ssid != 0;
    if (json_object_object_get_ex(q, "ssv", &ssv)) {
        if (!json_object_is_type(ssv, json_type_boolean))
            return cli_error(-1, "smmu", "%s: \"ssv\" must be true or false", what);
        with_ssid = json_object_get_boolean(ssv);
    }
    if (sid > 0xffffffffu || ssid > 0xfffff)
        return cli_error(-1, "smmu", "%s: sid must fit 32 bits and ssid 20 bits", what);
    vmaccel_smmu_result r;
    int rc = vmaccel_smmu_translate(smmu, (uint32_t)sid,
                                    with_ssid ? (uint32_t)ssid : VMACCEL_SMMU_NO_SSID,
                                    iova, access, &r);
    if (rc && rc != VMACCEL_EFAULT)
        return cli_lib_error("smmu", what, rc);
    print_result(rc, &r);
    return 0;
}

/* Prints the event records software would read, as {"events":[...]}. */
static int print_events(vmaccel_smmu *smmu, image *im)
{
    uint64_t base, prod, cons;
    if (vmaccel_smmu_mmio_read(smmu, 0xa0, 8, &base) ||
        vmaccel_smmu_mmio_read(smmu, 0x100a8, 4, &prod) ||
        vmaccel_smmu_mmio_read(smmu, 0x100ac, 4, &cons))
        return -1;
    unsigned log2 = base & 31;
    if (log2 > 12)
        log2 = 12;
    uint64_t wrap = (2ull << log2) - 1, idx = (1ull << log2) - 1;
    printf("{\"events\":[");
    for (uint64_t c = cons & wrap, n = 0; c != (prod & wrap) && n <= idx; c = (c + 1) & wrap, n++) {
        uint8_t rec[32];
        uint64_t addr = (base & 0x000fffffffffffe0ull) + (c & idx) * 32;
        if (mem_read(im, addr, rec, 32))
            break;
        printf("%s\"", n ? "," : "");
        for (int b = 0; b < 32; b++)
            printf("%02x", rec[b]);
        printf("\"");
    }
    printf("],\"overflow\":%s}\n", ((prod ^ cons) >> 31) ? "true" : "false");
    return 0;
}

static int replay(const char *path)
{
    json_object *root = json_object_from_file(path);
    if (!root)
        return cli_error(CLI_FAILED, "smmu", "%s: not readable JSON (%s)", path,
                         json_util_get_last_err());
    int rc = CLI_FAILED;
    image im = {0};
    vmaccel_smmu *smmu = NULL;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    json_object *queries;
    if (!json_object_is_type(root, json_type_object)) {
        cli_error(-1, "smmu", "%s: the scenario must be a JSON object", path);
        goto out;
    }
    if (!json_object_object_get_ex(root, "queries", &queries) ||
        !json_object_is_type(queries, json_type_array)) {
        cli_error(-1, "smmu", "%s: \"queries\" must be an array", path);
        goto out;
    }
    if (load_memory(root, dir, &im))
        goto out;
    int lrc = vmaccel_smmu_new(NULL, &smmu);
    if (lrc) {
        cli_lib_error("smmu", "vmaccel_smmu_new", lrc);
        goto out;
    }
    vmaccel_smmu_memory mem = VMACCEL_SMMU_MEMORY_INIT;
    mem.read = mem_read;
    mem.write = mem_write;
    mem.ctx = &im;
    if ((lrc = vmaccel_smmu_set_memory(smmu, &mem))) {
        cli_lib_error("smmu", "vmaccel_smmu_set_memory", lrc);
        goto out;
    }
    if (load_registers(root, smmu))
        goto out;
    for (size_t i = 0; i < json_object_array_length(queries); i++)
        if (run_query(smmu, json_object_array_get_idx(queries, i), i))
            goto out;
    json_object *pe;
    if (json_object_object_get_ex(root, "print_events", &pe) &&
        json_object_get_boolean(pe) && print_events(smmu, &im))
        goto out;
    rc = CLI_OK;
out:
    vmaccel_smmu_free(smmu);
    image_free(&im);
    json_object_put(root);
    return rc;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vmaccel smmu replay SCENARIO.json\n\n"
            "Replays translations through the SMMUv3 model. The scenario:\n"
            "  {\"memory\":[{\"base\":\"0x40000000\",\"hex\":\"...\"} | {\"base\":...,\"file\":\"mem.bin\"}],\n"
            "   \"registers\":{\"STRTAB_BASE\":\"0x...\",\"STRTAB_BASE_CFG\":...,\"CR0\":...,\"CR1\":...,\"CR2\":...},\n"
            "   \"queries\":[{\"sid\":1,\"ssid\":0,\"iova\":\"0x1000\",\"access\":\"r|w|x\",\"priv\":false}]}\n"
            "Prints one JSON object per query: {\"ok\":true,\"pa\":\"0x...\",\"size\":4096,\"perm\":\"rw\"}\n"
            "or {\"ok\":false,\"event\":\"F_TRANSLATION\",\"stage\":1,\"level\":2}.\n"
            "\"ssid\" 0 means no SubstreamID unless \"ssv\":true. Other registers: GBPA\n"
            "(resets to ABORT), IRQ_CTRL, CMDQ_*, EVENTQ_*; \"print_events\":true prints the\n"
            "event queue last. Memory outside the image aborts (F_STE_FETCH, F_WALK_EABT...).\n");
}

int cmd_smmu(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return CLI_OK;
    }
    if (argc != 3 || strcmp(argv[1], "replay")) {
        usage(stderr);
        return CLI_USAGE;
    }
    return replay(argv[2]);
}
