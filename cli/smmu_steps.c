/*
 * `vmaccel smmu replay`: the scenario steps beside translations. The
 * replay plays the PCIe side too: an endpoint that sends ATS Translation
 * Requests, Translated transactions and Page Requests, and receives ATC
 * invalidations and PRG responses (printed by "endpoint" steps).
 */
#include "cli.h"
#include "smmu_replay.h"

#include <stdio.h>
#include <string.h>

static json_object *hex(uint64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
    return json_object_new_string(b);
}

static json_object *ssid_json(uint32_t ssid)
{
    return ssid == VMACCEL_SMMU_NO_SSID ? NULL : json_object_new_int64(ssid);
}

static void emit(json_object *o)
{
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
}

/* The replay's own guest memory accesses (commands it queues, records it
 * reads): not the model's, so not in "print_touched". */
static int host_copy(replay *r, uint64_t addr, void *buf, size_t len, bool write)
{
    bool track = r->im.track;
    r->im.track = false;
    int rc = write ? smmu_image_write(&r->im, addr, buf, len)
                   : smmu_image_read(&r->im, addr, buf, len);
    r->im.track = track;
    return rc;
}

/* Records {kind: {"sid":..,"ssid":..}} among the endpoint messages and
 * returns the inner object for the kind's own fields. */
static json_object *endpoint_message(replay *r, const char *kind, uint32_t sid, uint32_t ssid)
{
    json_object *m = json_object_new_object(), *o = json_object_new_object();
    json_object_object_add(o, "sid", json_object_new_int64(sid));
    json_object_object_add(o, "ssid", ssid_json(ssid));
    json_object_object_add(m, kind, o);
    json_object_array_add(r->messages, m);
    return o;
}

static int on_atc_inv(void *ctx, const vmaccel_smmu_atc_inv *inv)
{
    replay *r = ctx;
    json_object *o = endpoint_message(r, "atc_inv", inv->sid, inv->ssid);
    json_object_object_add(o, "global", json_object_new_boolean(inv->global));
    json_object_object_add(o, "addr", hex(inv->addr));
    json_object_object_add(o, "log2size", json_object_new_int(inv->log2size));
    if (r->atc == ATC_DEFER && r->ndeferred < SMMU_REPLAY_MAX_DEFERRED) {
        r->deferred[r->ndeferred++] = inv->id;
        return VMACCEL_EAGAIN;
    }
    return r->atc == ATC_FAIL ? VMACCEL_ETIMEDOUT : 0;
}

static void on_prg(void *ctx, const vmaccel_smmu_prg_response *p)
{
    json_object *o = endpoint_message(ctx, "prg", p->sid, p->ssid);
    json_object_object_add(o, "prgi", json_object_new_int(p->prg_index));
    json_object_object_add(o, "code", json_object_new_int(p->code));
    json_object_object_add(o, "auto", json_object_new_boolean(p->automatic));
}

void smmu_replay_endpoints(replay *r)
{
    vmaccel_smmu_endpoint_ops ops = VMACCEL_SMMU_ENDPOINT_OPS_INIT;
    ops.ctx = r;
    ops.atc_inv = r->atc == ATC_NONE ? NULL : on_atc_inv;
    ops.prg_response = on_prg;
    vmaccel_smmu_set_endpoint_ops(r->smmu, &ops);
}

/* The step's one member (its kind) and its value. */
static const char *kind_of(json_object *q, json_object **val)
{
    if (json_object_object_length(q) != 1)
        return NULL;
    json_object_object_foreach(q, key, v) {
        *val = v;
        return key;
    }
    return NULL;
}

static int need_object(json_object *v, const char *kind, const char *what)
{
    if (!json_object_is_type(v, json_type_object))
        return cli_error(-1, "smmu", "%s: \"%s\" must be an object", what, kind);
    return 0;
}

/* sid and the optional ssid of a step. */
static int stream_of(json_object *v, uint32_t *sid, uint32_t *ssid, const char *what)
{
    uint64_t s, ss;
    if (smmu_json_u64(v, "sid", true, &s, what))
        return -1;
    int absent = smmu_json_u64(v, "ssid", false, &ss, what);
    if (absent < 0)
        return -1;
    if (s > 0xffffffffu || (!absent && ss > 0xfffff))
        return cli_error(-1, "smmu", "%s: sid must fit 32 bits and ssid 20 bits", what);
    *sid = (uint32_t)s;
    *ssid = absent ? VMACCEL_SMMU_NO_SSID : (uint32_t)ss;
    return 0;
}

static int step_ats(replay *r, json_object *v, const char *what)
{
    uint32_t sid, ssid;
    uint64_t iova;
    unsigned access;
    if (need_object(v, "ats", what) || stream_of(v, &sid, &ssid, what) ||
        smmu_json_u64(v, "iova", true, &iova, what) ||
        smmu_parse_access(v, &access, true, what))
        return -1;
    vmaccel_smmu_ats_result a;
    int rc = vmaccel_smmu_ats_translate(r->smmu, sid, ssid, iova, access, &a);
    if (rc)
        return cli_lib_error("smmu", what, rc);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string(
        a.status == VMACCEL_SMMU_ATS_SUCCESS ? "SUCCESS"
        : a.status == VMACCEL_SMMU_ATS_UR    ? "UR"
                                             : "CA"));
    if (a.status == VMACCEL_SMMU_ATS_SUCCESS) {
        char perm[4];
        json_object_object_add(o, "addr", hex(a.addr));
        json_object_object_add(o, "size", json_object_new_int64((int64_t)a.size));
        json_object_object_add(o, "perm", json_object_new_string(smmu_perm_string(a.perm, perm)));
    }
    emit(o);
    return 0;
}

static int step_translated(replay *r, json_object *v, const char *what)
{
    uint64_t sid, pa;
    unsigned access;
    if (need_object(v, "translated", what) || smmu_json_u64(v, "sid", true, &sid, what) ||
        smmu_json_u64(v, "pa", true, &pa, what) ||
        smmu_parse_access(v, &access, false, what))
        return -1;
    if (sid > 0xffffffffu)
        return cli_error(-1, "smmu", "%s: sid must fit 32 bits", what);
    int rc = vmaccel_smmu_ats_translated(r->smmu, (uint32_t)sid, pa, access);
    if (rc && rc != VMACCEL_EFAULT)
        return cli_lib_error("smmu", what, rc);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(!rc));
    emit(o);
    return 0;
}

static int step_page_request(replay *r, json_object *v, const char *what)
{
    static const char *const outcome[] = {"QUEUED", "OVERFLOW", "DISABLED", "ABORT"};
    uint32_t sid, ssid;
    uint64_t addr, prgi;
    unsigned access;
    bool last, stop;
    if (need_object(v, "page_request", what) || stream_of(v, &sid, &ssid, what) ||
        smmu_json_u64(v, "addr", true, &addr, what) ||
        smmu_json_u64(v, "prgi", true, &prgi, what) ||
        smmu_parse_access(v, &access, true, what) ||
        smmu_field_bool(v, "last", &last, what) || smmu_field_bool(v, "stop", &stop, what))
        return -1;
    vmaccel_smmu_ppr_outcome o;
    int rc = vmaccel_smmu_page_request(r->smmu, sid, ssid, addr, access,
                                       prgi > 0xffff ? 0xffff : (unsigned)prgi,
                                       (last ? VMACCEL_SMMU_PRI_LAST : 0u) |
                                           (stop ? VMACCEL_SMMU_PRI_STOP : 0u),
                                       &o);
    if (rc)
        return cli_lib_error("smmu", what, rc);
    json_object *j = json_object_new_object();
    json_object_object_add(j, "outcome", json_object_new_string(outcome[o & 3]));
    emit(j);
    return 0;
}

static int u64_of(json_object *v, uint64_t *out)
{
    json_object *wrap = json_object_new_object();
    json_object_object_add(wrap, "v", json_object_get(v));
    int rc = smmu_json_u64(wrap, "v", true, out, "commands");
    json_object_put(wrap);
    return rc;
}

static int read_le64(replay *r, uint64_t addr, uint64_t *v)
{
    uint8_t b[8];
    if (host_copy(r, addr, b, 8, false))
        return -1;
    *v = 0;
    for (int i = 7; i >= 0; i--)
        *v = *v << 8 | b[i];
    return 0;
}

/* Writes n commands at CMDQ_PROD as a driver does, rings the doorbell
 * once, and prints CMDQ_CONS. */
static int queue_commands(replay *r, const uint64_t (*cmds)[2], size_t n, const char *what)
{
    uint64_t base, prod;
    if (vmaccel_smmu_mmio_read(r->smmu, 0x90, 8, &base) ||
        vmaccel_smmu_mmio_read(r->smmu, 0x98, 4, &prod))
        return cli_lib_error("smmu", what, VMACCEL_EINVAL);
    unsigned log2 = base & 31;
    if (log2 > 12)
        log2 = 12;
    uint64_t wrap = (2ull << log2) - 1;
    for (size_t i = 0; i < n; i++) {
        uint8_t b[16];
        for (int k = 0; k < 16; k++)
            b[k] = (uint8_t)(cmds[i][k / 8] >> 8 * (k % 8));
        uint64_t addr = (base & 0x000fffffffffffe0ull) + (prod & (wrap >> 1)) * 16;
        if (host_copy(r, addr, b, 16, true))
            return cli_error(-1, "smmu", "%s: the command queue is outside the memory", what);
        prod = (prod + 1) & wrap;
    }
    int rc = vmaccel_smmu_mmio_write(r->smmu, 0x98, 4, prod);
    uint64_t cons = 0;
    if (rc || (rc = vmaccel_smmu_mmio_read(r->smmu, 0x9c, 4, &cons)))
        return cli_lib_error("smmu", what, rc);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "cons", hex(cons));
    emit(o);
    return 0;
}

#define MAX_STEP_COMMANDS 64

static int step_commands(replay *r, json_object *v, const char *what)
{
    size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
    if (!json_object_is_type(v, json_type_array) || n > MAX_STEP_COMMANDS)
        return cli_error(-1, "smmu", "%s: \"commands\" must be an array of at most %d "
                         "[dword0, dword1]", what, MAX_STEP_COMMANDS);
    uint64_t cmds[MAX_STEP_COMMANDS][2];
    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(v, i);
        if (!json_object_is_type(c, json_type_array) || json_object_array_length(c) != 2 ||
            u64_of(json_object_array_get_idx(c, 0), &cmds[i][0]) ||
            u64_of(json_object_array_get_idx(c, 1), &cmds[i][1]))
            return cli_error(-1, "smmu", "%s: commands[%zu] must be [dword0, dword1]", what, i);
    }
    return queue_commands(r, cmds, n, what);
}

/* What a guest's fault handler does with a stall record: CMD_RESUME with
 * the StreamID and STAG read from event N of the queue (its slot index),
 * then CMD_SYNC. The STAG's format is the SMMU's own (IMPLEMENTATION
 * SPECIFIC), so a scenario cannot spell it. */
static int step_resume(replay *r, json_object *v, const char *what)
{
    uint64_t n, base, e0, e1;
    bool retry;
    if (need_object(v, "resume", what) || smmu_json_u64(v, "event", true, &n, what) ||
        smmu_field_bool(v, "retry", &retry, what))
        return -1;
    if (vmaccel_smmu_mmio_read(r->smmu, 0xa0, 8, &base) || n >> 12)
        return cli_error(-1, "smmu", "%s: no such event", what);
    uint64_t rec = (base & 0x000fffffffffffe0ull) + n * 32;
    if (read_le64(r, rec, &e0) || read_le64(r, rec + 8, &e1) || !((e1 >> 31) & 1))
        return cli_error(-1, "smmu", "%s: event %llu is not a stall record", what,
                         (unsigned long long)n);
    const uint64_t cmds[2][2] = {
        {0x44 | (retry ? 1ull << 12 : 0) | (e0 & 0xffffffff00000000ull), e1 & 0xffff},
        {0x46, 0}};
    return queue_commands(r, cmds, 2, what);
}

static int step_write64(replay *r, json_object *v, const char *what)
{
    uint64_t addr, val;
    if (need_object(v, "write64", what) || smmu_json_u64(v, "addr", true, &addr, what) ||
        smmu_json_u64(v, "value", true, &val, what))
        return -1;
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(val >> 8 * i);
    if (host_copy(r, addr, b, 8, true))
        return cli_error(-1, "smmu", "%s: 0x%llx is outside the memory", what,
                         (unsigned long long)addr);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(1));
    emit(o);
    return 0;
}

static int step_register(replay *r, bool write, json_object *v, const char *what)
{
    const char *kind = write ? "write_reg" : "read_reg";
    json_object *n = v;
    if (write && (need_object(v, kind, what) || !json_object_object_get_ex(v, "name", &n)))
        return cli_error(-1, "smmu", "%s: write_reg needs \"name\" and \"value\"", what);
    uint64_t off, value = 0;
    unsigned size;
    if (!json_object_is_type(n, json_type_string) ||
        smmu_register(json_object_get_string(n), &off, &size) < 0)
        return cli_error(-1, "smmu", "%s: unknown register", what);
    if (write && smmu_json_u64(v, "value", true, &value, what))
        return -1;
    if (write && size == 4 && value >> 32)
        return cli_error(-1, "smmu", "%s: a 32-bit register", what);
    int rc = write ? vmaccel_smmu_mmio_write(r->smmu, off, size, value)
                   : vmaccel_smmu_mmio_read(r->smmu, off, size, &value);
    if (rc)
        return cli_lib_error("smmu", what, rc);
    json_object *o = json_object_new_object();
    if (write)
        json_object_object_add(o, "ok", json_object_new_boolean(1));
    else
        json_object_object_add(o, "value", hex(value));
    emit(o);
    return 0;
}

static int step_write_reg(replay *r, json_object *v, const char *what)
{
    return step_register(r, true, v, what);
}

static int step_read_reg(replay *r, json_object *v, const char *what)
{
    return step_register(r, false, v, what);
}

static int step_read64(replay *r, json_object *v, const char *what)
{
    uint64_t addr, val;
    if (u64_of(v, &addr))
        return cli_error(-1, "smmu", "%s: \"read64\" needs an address", what);
    if (read_le64(r, addr, &val))
        return cli_error(-1, "smmu", "%s: 0x%llx is outside the memory", what,
                         (unsigned long long)addr);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "value", hex(val));
    emit(o);
    return 0;
}

static int step_stall_wait(replay *r, json_object *v, const char *what)
{
    static const char *const end[] = {"PENDING", "RETRY", "ABORT"};
    uint64_t n;
    if (u64_of(v, &n) || n >= r->nstalls)
        return cli_error(-1, "smmu", "%s: \"stall_wait\" names no stall of this scenario",
                         what);
    vmaccel_smmu_stall_end how = VMACCEL_SMMU_STALL_PENDING;
    int rc = vmaccel_smmu_stall_wait(r->smmu, r->stalls[n], 0, &how);
    if (rc && rc != VMACCEL_ETIMEDOUT)
        return cli_lib_error("smmu", what, rc);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "end", json_object_new_string(end[how % 3]));
    emit(o);
    return 0;
}

static int step_atc_complete(replay *r, json_object *v, const char *what)
{
    (void)v, (void)what;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "completed", json_object_new_int((int)r->ndeferred));
    unsigned n = r->ndeferred;
    r->ndeferred = 0;
    for (unsigned i = 0; i < n; i++)
        vmaccel_smmu_atc_inv_done(r->smmu, r->deferred[i], 0);
    emit(o);
    return 0;
}

static int step_endpoint(replay *r, json_object *v, const char *what)
{
    (void)v, (void)what;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "endpoint", r->messages);
    r->messages = json_object_new_array();
    emit(o);
    return 0;
}

static const struct {
    const char *kind;
    int (*run)(replay *r, json_object *v, const char *what);
} steps[] = {
    {"ats", step_ats},
    {"translated", step_translated},
    {"page_request", step_page_request},
    {"commands", step_commands},
    {"resume", step_resume},
    {"write_reg", step_write_reg},
    {"read_reg", step_read_reg},
    {"read64", step_read64},
    {"write64", step_write64},
    {"stall_wait", step_stall_wait},
    {"atc_complete", step_atc_complete},
    {"endpoint", step_endpoint},
};

int smmu_step(replay *r, json_object *q, const char *what)
{
    json_object *v = NULL;
    const char *kind = kind_of(q, &v);
    for (size_t i = 0; kind && i < sizeof steps / sizeof *steps; i++)
        if (!strcmp(kind, steps[i].kind))
            return steps[i].run(r, v, what);
    if (kind)
        return cli_error(-1, "smmu", "%s: unknown step \"%s\"", what, kind);
    return cli_error(-1, "smmu", "%s: a step needs \"sid\" (a translation) or one "
                     "kind: ats, translated, page_request, commands, resume, write_reg, "
                     "read_reg, read64, write64, stall_wait, atc_complete, endpoint",
                     what);
}

int smmu_print_queue(replay *r, const char *name, uint64_t base_reg, uint64_t prod_reg,
                     uint64_t cons_reg, unsigned entry)
{
    uint64_t base, prod, cons;
    if (vmaccel_smmu_mmio_read(r->smmu, base_reg, 8, &base) ||
        vmaccel_smmu_mmio_read(r->smmu, prod_reg, 4, &prod) ||
        vmaccel_smmu_mmio_read(r->smmu, cons_reg, 4, &cons))
        return -1;
    unsigned log2 = base & 31;
    if (log2 > 12)
        log2 = 12; /* the model's *QS */
    uint64_t wrap = (2ull << log2) - 1, idx = (1ull << log2) - 1;
    json_object *recs = json_object_new_array();
    for (uint64_t c = cons & wrap, n = 0; c != (prod & wrap) && n <= idx;
         c = (c + 1) & wrap, n++) {
        uint8_t rec[32];
        char text[65];
        if (host_copy(r, (base & 0x000fffffffffffe0ull) + (c & idx) * entry, rec, entry,
                      false))
            break;
        for (unsigned b = 0; b < entry; b++)
            snprintf(text + 2 * b, 3, "%02x", rec[b]);
        json_object_array_add(recs, json_object_new_string(text));
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, name, recs);
    json_object_object_add(o, "overflow", json_object_new_boolean((prod ^ cons) >> 31));
    emit(o);
    return 0;
}
