/* The guest memory image of `vmaccel smmu replay`, and the JSON number
 * reader its scenario parser shares with cmd_smmu.c. */
#ifndef VMACCEL_CLI_SMMU_IMAGE_H
#define VMACCEL_CLI_SMMU_IMAGE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct smmu_region {
    uint64_t base;
    uint8_t *bytes;
    size_t len;
} smmu_region;

/* Guest physical memory made of regions; what the model reads and writes
 * is recorded as 4 KiB page numbers when `track` is set. */
typedef struct smmu_image {
    smmu_region *r;
    size_t n;
    size_t total;
    bool track;
    uint64_t *pages;  /* touched page numbers, deduplicated when full */
    size_t npages, cap;
} smmu_image;

/* Loads the scenario's "memory" array (regions from "hex", or from "file"
 * with an optional "offset" and "length" into it; relative paths are taken
 * from `dir`). 0, or -1 after printing the error. */
int smmu_image_load(json_object *root, const char *dir, smmu_image *im);
void smmu_image_free(smmu_image *im);

/* The model's memory callbacks (ctx is the smmu_image). An access outside
 * every region returns -1: the model sees an external abort. */
int smmu_image_read(void *ctx, uint64_t addr, void *buf, size_t len);
int smmu_image_write(void *ctx, uint64_t addr, const void *buf, size_t len);
/* The cas callback (HTTU updates). The replay is one thread, so a compare
 * and a store are atomic enough; values are little-endian in the image. */
int smmu_image_cas(void *ctx, uint64_t addr, uint64_t *expected, uint64_t desired);

/* Prints {"touched":[["0xADDR",PAGES],...]}: the 4 KiB pages the model read
 * or wrote, merged into runs. 0, or -1 when out of memory. */
int smmu_image_print_touched(smmu_image *im);

/* Reads `key` of `obj` as a non-negative JSON integer or a "0x..."/decimal
 * string. 0 on success; 1 if absent and not required; -1 (error printed,
 * naming `what`) otherwise. */
int smmu_json_u64(json_object *obj, const char *key, bool required,
                  uint64_t *out, const char *what);

#endif
