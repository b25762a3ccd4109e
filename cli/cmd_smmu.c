/*
 * vmaccel smmu replay SCENARIO.json: replays register accesses and
 * translations against a guest memory image (smmu_image.c), through the
 * register front end of the SMMUv3 model, and prints one JSON object per
 * register read, translation and memory dump. The device-side steps of
 * "queries" (ATS, PRI, commands, stalls, endpoint messages) are in
 * smmu_steps.c.
 */
#include "cli.h"
#include "smmu_replay.h"

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
    {"EVENTQ_CONS", 0x100ac, 4}, {"PRIQ_BASE", 0xc0, 8},
    {"PRIQ_IRQ_CFG2", 0xdc, 4}, {"PRIQ_PROD", 0x100c8, 4}, {"PRIQ_CONS", 0x100cc, 4},
    {"CR0", 0x20, 4}, {"CMDQ_PROD", 0x98, 4},
    /* read-only, for "read_reg" steps */
    {"IDR0", 0x0, 4}, {"IDR1", 0x4, 4}, {"IDR3", 0xc, 4}, {"IDR5", 0x14, 4},
    {"GERROR", 0x60, 4},
};
#define NWRITABLE 18 /* the first entries: what "registers" may set */

int smmu_register(const char *name, uint64_t *offset, unsigned *size)
{
    for (size_t i = 0; i < sizeof regs / sizeof *regs; i++)
        if (!strcmp(name, regs[i].name)) {
            *offset = regs[i].offset;
            *size = regs[i].size;
            return (int)i;
        }
    return -1;
}

static int load_registers(json_object *root, vmaccel_smmu *smmu)
{
    json_object *o;
    if (!json_object_object_get_ex(root, "registers", &o))
        return 0;
    if (!json_object_is_type(o, json_type_object))
        return cli_error(-1, "smmu", "\"registers\" must be an object");
    json_object_object_foreach(o, key, val) {
        (void)val;
        uint64_t off;
        unsigned size;
        int i = smmu_register(key, &off, &size);
        if (i < 0 || i >= NWRITABLE)
            return cli_error(-1, "smmu", "registers: unknown register \"%s\"", key);
    }
    for (size_t i = 0; i < NWRITABLE; i++) {
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
    case 0x05: return "F_BAD_ATS_TREQ";
    case 0x06: return "F_STREAM_DISABLED";
    case 0x07: return "F_TRANSL_FORBIDDEN";
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

int smmu_parse_access(json_object *q, unsigned *access, bool empty_ok, const char *what)
{
    json_object *a, *p;
    *access = 0;
    if (!json_object_object_get_ex(q, "access", &a)) {
        if (empty_ok)
            return 0;
        return cli_error(-1, "smmu", "%s: \"access\" is missing", what);
    }
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
    if (!*access && !empty_ok)
        return cli_error(-1, "smmu", "%s: empty access", what);
    if (json_object_object_get_ex(q, "priv", &p)) {
        if (!json_object_is_type(p, json_type_boolean))
            return cli_error(-1, "smmu", "%s: \"priv\" must be true or false", what);
        if (json_object_get_boolean(p))
            *access |= VMACCEL_SMMU_PRIV;
    }
    return 0;
}

int smmu_field_bool(json_object *obj, const char *key, bool *out, const char *what)
{
    json_object *o;
    *out = false;
    if (!json_object_object_get_ex(obj, key, &o))
        return 0;
    if (!json_object_is_type(o, json_type_boolean))
        return cli_error(-1, "smmu", "%s: \"%s\" must be true or false", what, key);
    *out = json_object_get_boolean(o);
    return 0;
}

const char *smmu_perm_string(unsigned perm, char buf[4])
{
    int n = 0;
    if (perm & VMACCEL_SMMU_READ)
        buf[n++] = 'r';
    if (perm & VMACCEL_SMMU_WRITE)
        buf[n++] = 'w';
    if (perm & VMACCEL_SMMU_EXEC)
        buf[n++] = 'x';
    buf[n] = 0;
    return buf;
}

/* One line for a translation: ok, a fault, or (stall: its index among the
 * scenario's stalls) a stalled transaction. */
static void print_result(int rc, const vmaccel_smmu_result *r, int stall)
{
    if (!rc) {
        char perm[4];
        printf("{\"ok\":true,\"pa\":\"0x%llx\",\"size\":%llu,\"perm\":\"%s\"}\n",
               (unsigned long long)r->pa, (unsigned long long)r->size,
               smmu_perm_string(r->perm, perm));
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
    if (stall >= 0)
        printf(",\"stalled\":%d", stall);
    printf("}\n");
}

/* A translation {"sid":..,"iova":..,"access":..}; "stall":true lets it
 * stall (vmaccel_smmu_translate_stallable). */
static int run_query(replay *rp, json_object *q, const char *what)
{
    if (!json_object_is_type(q, json_type_object))
        return cli_error(-1, "smmu", "%s must be an object", what);
    uint64_t sid, iova, ssid = 0;
    unsigned access;
    bool stall;
    if (smmu_json_u64(q, "sid", true, &sid, what) || smmu_json_u64(q, "iova", true, &iova, what))
        return -1;
    int has_ssid = smmu_json_u64(q, "ssid", false, &ssid, what);
    if (has_ssid < 0 || smmu_parse_access(q, &access, false, what) ||
        smmu_field_bool(q, "stall", &stall, what))
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
    uint32_t ss = with_ssid ? (uint32_t)ssid : VMACCEL_SMMU_NO_SSID, id = 0;
    int rc = stall ? vmaccel_smmu_translate_stallable(rp->smmu, (uint32_t)sid, ss, iova,
                                                      access, &r, &id)
                   : vmaccel_smmu_translate(rp->smmu, (uint32_t)sid, ss, iova, access, &r);
    if (rc && rc != VMACCEL_EFAULT && rc != VMACCEL_EAGAIN)
        return cli_lib_error("smmu", what, rc);
    int stall_index = -1;
    if (rc == VMACCEL_EAGAIN) {
        if (rp->nstalls == SMMU_REPLAY_MAX_STALLS)
            return cli_error(-1, "smmu", "%s: more than %d stalls", what,
                             SMMU_REPLAY_MAX_STALLS);
        stall_index = (int)rp->nstalls;
        rp->stalls[rp->nstalls++] = id;
    }
    print_result(rc, &r, stall_index);
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
static int run_op(replay *rp, json_object *op, size_t i)
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
        return run_query(rp, q, what);
    if (rd == 0)
        return run_dump_op(&rp->im, op, where, what);
    return run_register_op(rp->smmu, op, where, rw, what);
}

static int run_ops(replay *rp, json_object *root)
{
    json_object *ops;
    if (!json_object_object_get_ex(root, "ops", &ops))
        return 0;
    if (!json_object_is_type(ops, json_type_array))
        return cli_error(-1, "smmu", "\"ops\" must be an array");
    for (size_t i = 0; i < json_object_array_length(ops); i++)
        if (run_op(rp, json_object_array_get_idx(ops, i), i))
            return -1;
    return 0;
}

static bool flag(json_object *root, const char *key)
{
    json_object *o;
    return json_object_object_get_ex(root, key, &o) && json_object_get_boolean(o);
}

/* The model with the scenario's endpoint, memory and registers. */
static int setup(json_object *root, replay *rp)
{
    json_object *atc;
    if (json_object_object_get_ex(root, "atc", &atc)) {
        const char *m = json_object_get_string(atc);
        static const char *const names[] = {"none", "complete", "fail", "defer"};
        rp->atc = (atc_mode)-1;
        for (int i = 0; i < 4; i++)
            if (json_object_is_type(atc, json_type_string) && !strcmp(m, names[i]))
                rp->atc = (atc_mode)i;
        if ((int)rp->atc < 0)
            return cli_error(-1, "smmu", "\"atc\" must be none, complete, fail or defer");
    }
    int lrc = vmaccel_smmu_new(NULL, &rp->smmu);
    if (lrc)
        return cli_lib_error("smmu", "vmaccel_smmu_new", lrc);
    vmaccel_smmu_memory mem = VMACCEL_SMMU_MEMORY_INIT;
    mem.read = smmu_image_read;
    mem.write = smmu_image_write;
    mem.cas = smmu_image_cas;
    mem.ctx = &rp->im;
    if ((lrc = vmaccel_smmu_set_memory(rp->smmu, &mem)))
        return cli_lib_error("smmu", "vmaccel_smmu_set_memory", lrc);
    smmu_replay_endpoints(rp);
    rp->im.track = flag(root, "print_touched");
    return load_registers(root, rp->smmu);
}

/* The "queries": translations, and (without "sid") smmu_steps.c's steps. */
static int run_queries(replay *rp, json_object *queries)
{
    for (size_t i = 0; i < json_object_array_length(queries); i++) {
        char what[64];
        snprintf(what, sizeof what, "queries[%zu]", i);
        json_object *q = json_object_array_get_idx(queries, i);
        int rc = json_object_is_type(q, json_type_object) &&
                         !json_object_object_get_ex(q, "sid", NULL)
                     ? smmu_step(rp, q, what)
                     : run_query(rp, q, what);
        if (rc)
            return rc;
    }
    return 0;
}

static int run_replay(const char *path)
{
    json_object *root = json_object_from_file(path);
    if (!root)
        return cli_error(CLI_FAILED, "smmu", "%s: not readable JSON (%s)", path,
                         json_util_get_last_err());
    int rc = CLI_FAILED;
    replay rp = {.atc = ATC_NONE};
    rp.messages = json_object_new_array();
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
    if (smmu_image_load(root, dir, &rp.im) || setup(root, &rp) || run_ops(&rp, root) ||
        run_queries(&rp, queries))
        goto out;
    rp.im.track = false; /* what the queues' printers read is not the model's doing */
    if (flag(root, "print_touched") && smmu_image_print_touched(&rp.im))
        goto out;
    if (flag(root, "print_events") &&
        smmu_print_queue(&rp, "events", 0xa0, 0x100a8, 0x100ac, 32))
        goto out;
    if (flag(root, "print_priq") &&
        smmu_print_queue(&rp, "priq", 0xc0, 0x100c8, 0x100cc, 16))
        goto out;
    rc = CLI_OK;
out:
    vmaccel_smmu_free(rp.smmu);
    smmu_image_free(&rp.im);
    json_object_put(rp.messages);
    json_object_put(root);
    return rc;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vmaccel smmu replay SCENARIO.json\n\n"
            "Replays register accesses, translations and device requests through the\n"
            "SMMUv3 model. The scenario (numbers are JSON integers or \"0x...\" strings):\n"
            "  {\"memory\":[{\"base\":\"0x40000000\",\"hex\":\"...\"}\n"
            "             | {\"base\":...,\"file\":\"mem.bin\",\"offset\":0,\"length\":4096}],\n"
            "   \"registers\":{\"STRTAB_BASE\":\"0x...\",\"STRTAB_BASE_CFG\":...,\"CR0\":...,\"CR1\":...,\"CR2\":...},\n"
            "   \"atc\":\"none|complete|fail|defer\",  (how the endpoint answers ATC invalidations)\n"
            "   \"ops\":[{\"write\":\"0x98\",\"value\":\"0x13\",\"size\":4}, {\"read\":\"0x9c\"},\n"
            "          {\"translate\":{QUERY}}, {\"dump\":\"0x4bc00000\",\"length\":32}],\n"
            "   \"queries\":[QUERY or STEP, ...],\n"
            "   \"print_touched\":false, \"print_events\":false, \"print_priq\":false}\n"
            "Order: memory, registers (bases first, enables last), the ops in order,\n"
            "then the queries. Each register read prints {\"read\":\"0x9c\",\"value\":\"0x...\"};\n"
            "each dump {\"dump\":\"0x...\",\"hex\":\"...\"}, the memory there at that point (up to\n"
            "4096 bytes). A QUERY is a translation:\n"
            "  {\"sid\":1,\"ssid\":0,\"iova\":\"0x1000\",\"access\":\"r|w|x\",\"priv\":false,\"stall\":false}\n"
            "  -> {\"ok\":true,\"pa\":\"0x...\",\"size\":4096,\"perm\":\"rw\"}\n"
            "     or {\"ok\":false,\"event\":\"F_TRANSLATION\",\"stage\":1,\"level\":2[,\"stalled\":N]}\n"
            "  (\"ssid\" 0 means none unless \"ssv\":true; \"stall\":true lets it stall: the\n"
            "  Nth stall of the scenario.) A STEP of \"queries\" prints one line too:\n"
            "  {\"ats\":{\"sid\":..,\"iova\":..,\"access\":\"rw\",\"ssid\":..}} -> {\"status\":\"SUCCESS|UR|CA\",...}\n"
            "  {\"translated\":{\"sid\":..,\"pa\":..,\"access\":\"w\"}}    -> {\"ok\":true|false}\n"
            "  {\"page_request\":{\"sid\":..,\"addr\":..,\"access\":\"rw\",\"prgi\":..,\"last\":true,\n"
            "                   \"stop\":false,\"ssid\":..}}              -> {\"outcome\":\"QUEUED|...\"}\n"
            "  {\"commands\":[[\"0x..\",\"0x..\"],...]}  queued at CMDQ_PROD -> {\"cons\":\"0x..\"}\n"
            "  {\"resume\":{\"event\":N,\"retry\":true}}  CMD_RESUME for the stall record N\n"
            "                   (SID and STAG read from it, as a driver does), CMD_SYNC\n"
            "  {\"write_reg\":{\"name\":\"CR0\",\"value\":..}} -> {\"ok\":true}; {\"read_reg\":\"NAME\"} and\n"
            "  {\"read64\":\"0xADDR\"} -> {\"value\":\"0x..\"}; {\"write64\":{\"addr\":..,\"value\":..}}\n"
            "  {\"stall_wait\":N} -> {\"end\":\"PENDING|RETRY|ABORT\"}; {\"atc_complete\":true}\n"
            "  {\"endpoint\":true} -> the ATC invalidations and PRG responses since the last one.\n"
            "A file region is the whole file, or \"length\" bytes (default: to its end)\n"
            "from \"offset\" (default 0); where regions overlap the first listed wins.\n"
            "Registers: CR0-2, GBPA (resets to ABORT), IRQ_CTRL, GERRORN, STRTAB_*, CMDQ_*,\n"
            "EVENTQ_*, PRIQ_BASE/PROD/CONS/IRQ_CFG2; read_reg also IDR0/1/3/5, GERROR.\n"
            "\"print_touched\":true prints {\"touched\":[[\"0xADDR\",PAGES],...]}, the 4 KiB\n"
            "pages the model read or wrote; \"print_events\" and \"print_priq\" print the\n"
            "event and PRI queues last. Memory outside the image aborts (F_STE_FETCH,\n"
            "F_WALK_EABT...).\n");
}

static bool is_help(const char *arg)
{
    return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int cmd_smmu(int argc, char **argv)
{
    /* `smmu --help` and `smmu replay --help`: --help is never a file name. */
    if ((argc >= 2 && is_help(argv[1])) ||
        (argc >= 3 && !strcmp(argv[1], "replay") && is_help(argv[2]))) {
        usage(stdout);
        return CLI_OK;
    }
    if (argc != 3 || strcmp(argv[1], "replay")) {
        usage(stderr);
        return CLI_USAGE;
    }
    return run_replay(argv[2]);
}
