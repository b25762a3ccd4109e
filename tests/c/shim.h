/* C fixture helpers for the Catch2 tests: fixture OS trees and managers on
 * synthetic topologies. Only the public vmaccel API is used. */
#ifndef VMACCEL_TEST_SHIM_H
#define VMACCEL_TEST_SHIM_H

#include <vmaccel/vmaccel.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SHIM_PATH_MAX 512

/* A fixture host: <dir>/sys, <dir>/dev, <dir>/dt. */
typedef struct shim_host {
    char dir[SHIM_PATH_MAX];
    char sysfs[SHIM_PATH_MAX];
    char devfs[SHIM_PATH_MAX];
    char devicetree[SHIM_PATH_MAX];
} shim_host;

/* An empty host: sysfs with empty class/iommu and kernel/iommu_groups, a
 * devfs without kvm, an empty device tree. Returns 0 or -1. */
int shim_host_bare(shim_host *h);

/* A host that looks like an Arm server with an SMMUv3: one
 * class/iommu/smmu3.0x0000000009050000 unit, `groups` iommu groups and a
 * device-tree node smmuv3@9050000 whose compatible lists arm,smmu-v3. */
int shim_host_smmuv3(shim_host *h, unsigned groups);

/* Creates <root>/<rel> (and parents) with `len` bytes of `data`. */
int shim_write_file(const char *root, const char *rel, const void *data,
                    size_t len);
int shim_mkdir(const char *root, const char *rel);

/* Removes the fixture tree. */
void shim_host_remove(shim_host *h);

/* A manager on a synthetic topology with the fixture host's roots (h may be
 * NULL for the real roots). */
int shim_manager(const char *synthetic, const shim_host *h, vmaccel_manager **out);

/* Path of a file under tests/fixtures. */
const char *shim_fixture(const char *name);

#ifdef __cplusplus
}
#endif

#endif
