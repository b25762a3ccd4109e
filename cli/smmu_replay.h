/* `vmaccel smmu replay`: what the scenario loader (cmd_smmu.c) and the
 * scenario's steps (smmu_steps.c) share. */
#ifndef VMACCEL_CLI_SMMU_REPLAY_H
#define VMACCEL_CLI_SMMU_REPLAY_H

#include "smmu_image.h"

#include <vmaccel/vmaccel.h>

#include <json-c/json.h>
#include <stdbool.h>

#define SMMU_REPLAY_MAX_STALLS 256
#define SMMU_REPLAY_MAX_DEFERRED 1024

/* How the replay's endpoint answers ATC invalidations ("atc" in the
 * scenario): no ATS endpoint, done at once, failed, or done later (an
 * "atc_complete" step). */
typedef enum { ATC_NONE, ATC_COMPLETE, ATC_FAIL, ATC_DEFER } atc_mode;

typedef struct replay {
    vmaccel_smmu *smmu;
    smmu_image im;
    atc_mode atc;
    json_object *messages;      /* endpoint messages since the last "endpoint" step */
    uint64_t deferred[SMMU_REPLAY_MAX_DEFERRED];
    unsigned ndeferred;
    uint32_t stalls[SMMU_REPLAY_MAX_STALLS]; /* stall ids, in the order they stalled */
    unsigned nstalls;
} replay;

/* "access" ("r", "rw", ...) and "priv" of a step. With `empty_ok`, an
 * empty or missing access is 0. 0, or -1 (message printed). */
int smmu_parse_access(json_object *q, unsigned *access, bool empty_ok, const char *what);
/* A boolean member; false when absent. 0, or -1 for a non-boolean. */
int smmu_field_bool(json_object *obj, const char *key, bool *out, const char *what);
/* The "rwx" letters of a permission mask. */
const char *smmu_perm_string(unsigned perm, char buf[4]);
/* The name of a register the scenario may use: its offset and size, or -1. */
int smmu_register(const char *name, uint64_t *offset, unsigned *size);

/* The endpoint callbacks, collecting into r->messages (ctx: the replay). */
void smmu_replay_endpoints(replay *r);
/* Runs one step of "queries" that is not a plain translation ("sid" in
 * it): 0 with one JSON line printed, or -1 (message printed). */
int smmu_step(replay *r, json_object *q, const char *what);
/* Prints the records software would read from a queue (its BASE, PROD
 * and CONS register offsets, `entry` bytes each, at most 32) as
 * {NAME:["hex", ...],"overflow":...}. 0 or -1. */
int smmu_print_queue(replay *r, const char *name, uint64_t base_reg, uint64_t prod_reg,
                     uint64_t cons_reg, unsigned entry);

#endif
