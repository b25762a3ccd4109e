#include "shim.h"

#include <stdio.h>

int shim_manager(const char *synthetic, const shim_host *h, vmaccel_manager **out)
{
    vmaccel_topology_options topo = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    topo.source = VMACCEL_TOPOLOGY_SYNTHETIC;
    topo.synthetic = synthetic;
    vmaccel_manager_options opts = VMACCEL_MANAGER_OPTIONS_INIT;
    opts.topology = &topo;
    if (h) {
        opts.sysfs_root = h->sysfs;
        opts.devfs_root = h->devfs;
        opts.devicetree_root = h->devicetree;
    }
    return vmaccel_manager_new(&opts, out);
}

const char *shim_fixture(const char *name)
{
    static _Thread_local char path[SHIM_PATH_MAX];
    snprintf(path, sizeof path, "%s/tests/fixtures/%s", VMACCEL_SOURCE_DIR, name);
    return path;
}
