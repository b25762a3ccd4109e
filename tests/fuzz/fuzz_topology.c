/* libFuzzer: topology input from outside - hwloc synthetic descriptions and
 * XML files - through vmaccel_topology_load and a JSON report of whatever
 * loads. First byte: 0 synthetic, else XML. */
#define _GNU_SOURCE
#include <vmaccel/vmaccel.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void exercise(vmaccel_topology_options *o)
{
    vmaccel_topology *t = NULL;
    if (vmaccel_topology_load(o, &t) != 0)
        return;
    vmaccel_buf b = {0};
    if (vmaccel_topology_report(t, VMACCEL_FORMAT_JSON, &b) == 0)
        vmaccel_buf_free(&b);
    vmaccel_topology_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    vmaccel_topology_options o = VMACCEL_TOPOLOGY_OPTIONS_INIT;
    if (data[0] == 0) {
        char *desc = strndup((const char *)data + 1, size - 1);
        o.source = VMACCEL_TOPOLOGY_SYNTHETIC;
        o.synthetic = desc;
        exercise(&o);
        free(desc);
        return 0;
    }
    int fd = memfd_create("topology.xml", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    o.source = VMACCEL_TOPOLOGY_XML;
    o.path = path;
    exercise(&o);
    close(fd);
    return 0;
}
