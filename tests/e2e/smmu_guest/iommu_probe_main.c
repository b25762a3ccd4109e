/* Runs vm-accel's real IOMMU probe (runtime/hv/iommu.c, compiled as is) on
 * the live trees of the machine it runs on and prints what it found, one
 * fact per line, for check.sh to read from the serial console of an arm64
 * guest. Built static for aarch64 with the cross compiler; no library, no
 * manager: only va_probe_iommu().
 *
 * usage: iommu_probe [SYSFS [DEVICETREE]]   (default /sys /proc/device-tree) */
#include "hv/probe.h"

#include <stdio.h>
#include <string.h>

static const char *const kind_name[] = {"none", "smmuv3", "intel-vtd", "amd-vi", "other"};

static const char *kind_str(vmaccel_iommu_kind k)
{
    return (unsigned)k < sizeof kind_name / sizeof *kind_name ? kind_name[k] : "?";
}

int main(int argc, char **argv)
{
    va_roots roots;
    memset(&roots, 0, sizeof roots);
    snprintf(roots.sysfs, sizeof roots.sysfs, "%s", argc > 1 ? argv[1] : "/sys");
    snprintf(roots.devfs, sizeof roots.devfs, "%s", "/dev");
    snprintf(roots.devicetree, sizeof roots.devicetree, "%s",
             argc > 2 ? argv[2] : "/proc/device-tree");

    static va_iommu_probe p;
    va_probe_iommu(&roots, &p);

    printf("PROBE present=%d kind=%s units=%u groups=%u dt_smmuv3_nodes=%u\n",
           p.info.present, kind_str(p.info.kind), p.info.units, p.info.groups,
           p.info.dt_smmuv3_nodes);
    for (unsigned i = 0; i < p.info.units && i < VA_MAX_IOMMU_UNITS; i++)
        printf("PROBE unit %s kind=%s\n", p.unit_name[i], kind_str(p.unit_kind[i]));
    for (unsigned i = 0; i < p.info.dt_smmuv3_nodes && i < VA_MAX_IOMMU_UNITS; i++)
        printf("PROBE dt-node %s\n", p.dt_node[i]);
    if (!p.info.present)
        printf("PROBE reason %s\n", p.info.reason);
    printf("PROBE end\n");
    return 0;
}
