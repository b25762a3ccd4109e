/* Uses the installed library through its public header only. */
#include <vmaccel/vmaccel.h>

#include <stdio.h>

int main(void)
{
    vmaccel_topology_options o = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    o.source = VMACCEL_TOPOLOGY_SYNTHETIC;
    o.synthetic = "pack:2 numa:2 core:2 pu:2";
    vmaccel_topology *t;
    int rc = vmaccel_topology_load(&o, &t);
    if (rc) {
        fprintf(stderr, "%s: %s\n", vmaccel_strerror(rc), vmaccel_error_last());
        return 1;
    }
    unsigned nodes = 0;
    vmaccel_topology_count(t, VMACCEL_OBJ_NUMA_NODE, &nodes);
    vmaccel_topology_free(t);
    printf("vmaccel %s: %u NUMA nodes\n", vmaccel_version(), nodes);
    return nodes == 4 ? 0 : 1;
}
