/* libFuzzer: the /proc texts the sampler parses. A VMM controls its thread
 * names, which appear inside stat, so these are outside input. */
#include "numa/sampler.h"

#include <stdlib.h>
#include <string.h>

static vmaccel_topology *topo;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!topo) {
        vmaccel_topology_options o = VMACCEL_TOPOLOGY_OPTIONS_INIT;
        o.source = VMACCEL_TOPOLOGY_SYNTHETIC;
        o.synthetic = "numa:4 core:2 pu:1";
        if (va_topology_build(&o, &topo))
            abort();
    }
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    uint64_t runtime, local, remote;
    bool have;
    (void)va_parse_stat_cpu(text);
    (void)va_parse_schedstat(text, &runtime);
    (void)va_parse_sched_faults(text, topo, &have, &local, &remote);
    free(text);
    return 0;
}
