/*
 * vmaccel smmu replay SCENARIO.json: replays register accesses and
 * translations against a guest memory image (smmu_image.c), through the
 * register front end of the SMMUv3 model, and prints one JSON object per
 * register read, translation and memory dump.
 */
#include "cli.h"
#include "smmu_image.h"

#include <stdlib.h>
#include <string.h>

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
        int rc = smmu_json_u64(o, regs[i].name, false, &v, "registers");
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

static int run_query(vmaccel_smmu *smmu, json_object *q, const char *what)
{
    if (!json_object_is_type(q, json_type_object))
        return cli_error(-1, "smmu", "%s must be an object", what);
    uint64_t sid, iova, ssid = 0;
    unsigned access;
    if (smmu_json_u64(q, "sid", true, &sid, what) || smmu_json_u64(q, "iova", true, &iova, what))
        return -1;
    int has_ssid = smmu_json_u64(q, "ssid", false, &ssid, what);
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

/* A register access of the "ops" list: {"write":OFFSET,"value":V} or
 * {"read":OFFSET}, with "size" 4 (the default) or 8. A read prints
 * {"read":"0xOFFSET","value":"0xV"}. `rw` says which (0: write). */
static int run_register_op(vmaccel_smmu *smmu, json_object *op, uint64_t offset, int rw,
                           const char *what)
{
    uint64_t size = 4, value = 0;
    if (smmu_json_u64(op, "size", false, &size, what) < 0)
        return -1;
    if (size != 4 && size != 8)
        return cli_error(-1, "smmu", "%s: \"size\" must be 4 or 8", what);
    if (rw == 0) {
        if (smmu_json_u64(op, "value", true, &value, what))
            return -1;
        if (size == 4 && value >> 32)
            return cli_error(-1, "smmu", "%s: value wider than 32 bits", what);
        int rc = vmaccel_smmu_mmio_write(smmu, offset, (unsigned)size, value);
        return rc ? cli_lib_error("smmu", what, rc) : 0;
    }
    int rc = vmaccel_smmu_mmio_read(smmu, offset, (unsigned)size, &value);
    if (rc)
        return cli_lib_error("smmu", what, rc);
    printf("{\"read\":\"0x%llx\",\"value\":\"0x%llx\"}\n", (unsigned long long)offset,
           (unsigned long long)value);
    return 0;
}

/* {"dump":ADDR,"length":N}: prints {"dump":"0xADDR","hex":"..."}, the
 * image's bytes there now (what the model wrote included). */
static int run_dump_op(smmu_image *im, json_object *op, uint64_t addr, const char *what)
{
    uint64_t len;
    if (smmu_json_u64(op, "length", true, &len, what))
        return -1;
    if (!len || len > 4096)
        return cli_error(-1, "smmu", "%s: \"length\" must be 1 to 4096", what);
    uint8_t buf[4096];
    bool track = im->track;
    im->track = false; /* not the model's access */
    int rc = smmu_image_read(im, addr, buf, (size_t)len);
    im->track = track;
    if (rc)
        return cli_error(-1, "smmu", "%s: %llu bytes at 0x%llx are not all in the image",
                         what, (unsigned long long)len, (unsigned long long)addr);
    printf("{\"dump\":\"0x%llx\",\"hex\":\"", (unsigned long long)addr);
    for (uint64_t b = 0; b < len; b++)
        printf("%02x", buf[b]);
    printf("\"}\n");
    return 0;
}

/* One op of the "ops" list: exactly one of "write", "read", "translate"
 * (a query object) and "dump". */
static int run_op(vmaccel_smmu *smmu, smmu_image *im, json_object *op, size_t i)
{
    char what[64];
    snprintf(what, sizeof what, "ops[%zu]", i);
    if (!json_object_is_type(op, json_type_object))
        return cli_error(-1, "smmu", "%s must be an object", what);
    uint64_t where = 0;
    int rw = smmu_json_u64(op, "write", false, &where, what);
    int rr = smmu_json_u64(op, "read", false, &where, what);
    int rd = smmu_json_u64(op, "dump", false, &where, what);
    json_object *q;
    bool rt = json_object_object_get_ex(op, "translate", &q);
    if (rw < 0 || rr < 0 || rd < 0)
        return -1;
    if ((rw == 0) + (rr == 0) + (rd == 0) + rt != 1)
        return cli_error(-1, "smmu", "%s needs exactly one of \"write\", \"read\", "
                         "\"translate\" and \"dump\"", what);
    if (rt)
        return run_query(smmu, q, what);
    if (rd == 0)
        return run_dump_op(im, op, where, what);
    return run_register_op(smmu, op, where, rw, what);
}

static int run_ops(vmaccel_smmu *smmu, smmu_image *im, json_object *root)
{
    json_object *ops;
    if (!json_object_object_get_ex(root, "ops", &ops))
        return 0;
    if (!json_object_is_type(ops, json_type_array))
        return cli_error(-1, "smmu", "\"ops\" must be an array");
    for (size_t i = 0; i < json_object_array_length(ops); i++)
        if (run_op(smmu, im, json_object_array_get_idx(ops, i), i))
            return -1;
    return 0;
}

static bool flag(json_object *root, const char *key)
{
    json_object *o;
    return json_object_object_get_ex(root, key, &o) && json_object_get_boolean(o);
}

/* Prints the event records software would read, as {"events":[...]}. */
static int print_events(vmaccel_smmu *smmu, smmu_image *im)
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
        if (smmu_image_read(im, addr, rec, 32))
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
    smmu_image im = {0};
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
    if (smmu_image_load(root, dir, &im))
        goto out;
    int lrc = vmaccel_smmu_new(NULL, &smmu);
    if (lrc) {
        cli_lib_error("smmu", "vmaccel_smmu_new", lrc);
        goto out;
    }
    vmaccel_smmu_memory mem = VMACCEL_SMMU_MEMORY_INIT;
    mem.read = smmu_image_read;
    mem.write = smmu_image_write;
    mem.ctx = &im;
    if ((lrc = vmaccel_smmu_set_memory(smmu, &mem))) {
        cli_lib_error("smmu", "vmaccel_smmu_set_memory", lrc);
        goto out;
    }
    im.track = flag(root, "print_touched");
    if (load_registers(root, smmu) || run_ops(smmu, &im, root))
        goto out;
    for (size_t i = 0; i < json_object_array_length(queries); i++) {
        char what[64];
        snprintf(what, sizeof what, "queries[%zu]", i);
        if (run_query(smmu, json_object_array_get_idx(queries, i), what))
            goto out;
    }
    im.track = false; /* what print_events reads is not the model's doing */
    if (flag(root, "print_touched") && smmu_image_print_touched(&im))
        goto out;
    if (flag(root, "print_events") && print_events(smmu, &im))
        goto out;
    rc = CLI_OK;
out:
    vmaccel_smmu_free(smmu);
    smmu_image_free(&im);
    json_object_put(root);
    return rc;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vmaccel smmu replay SCENARIO.json\n\n"
            "Replays register accesses and translations through the SMMUv3 model.\n"
            "The scenario (numbers are JSON integers or \"0x...\" strings):\n"
            "  {\"memory\":[{\"base\":\"0x40000000\",\"hex\":\"...\"}\n"
            "             | {\"base\":...,\"file\":\"mem.bin\",\"offset\":0,\"length\":4096}],\n"
            "   \"registers\":{\"STRTAB_BASE\":\"0x...\",\"STRTAB_BASE_CFG\":...,\"CR0\":...,\"CR1\":...,\"CR2\":...},\n"
            "   \"ops\":[{\"write\":\"0x98\",\"value\":\"0x13\",\"size\":4}, {\"read\":\"0x9c\"},\n"
            "          {\"translate\":{QUERY}}, {\"dump\":\"0x4bc00000\",\"length\":32}],\n"
            "   \"queries\":[{\"sid\":1,\"ssid\":0,\"iova\":\"0x1000\",\"access\":\"r|w|x\",\"priv\":false}],\n"
            "   \"print_touched\":false, \"print_events\":false}\n"
            "Order: memory, registers (bases first, enables last), the ops in order,\n"
            "then the queries. Each register read prints {\"read\":\"0x9c\",\"value\":\"0x...\"};\n"
            "each query or translate {\"ok\":true,\"pa\":\"0x...\",\"size\":4096,\"perm\":\"rw\"}\n"
            "or {\"ok\":false,\"event\":\"F_TRANSLATION\",\"stage\":1,\"level\":2}; each dump\n"
            "{\"dump\":\"0x...\",\"hex\":\"...\"}, the memory there at that point (up to 4096 bytes).\n"
            "A file region is the whole file, or \"length\" bytes (default: to its end)\n"
            "from \"offset\" (default 0); where regions overlap the first listed wins.\n"
            "\"ssid\" 0 means no SubstreamID unless \"ssv\":true. Other registers: GBPA\n"
            "(resets to ABORT), IRQ_CTRL, CMDQ_*, EVENTQ_*. \"print_touched\":true prints\n"
            "{\"touched\":[[\"0xADDR\",PAGES],...]}, the 4 KiB pages the model read or wrote;\n"
            "\"print_events\":true prints the event queue last. Memory outside the image\n"
            "aborts (F_STE_FETCH, F_WALK_EABT...).\n");
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
