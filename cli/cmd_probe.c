/* vmaccel probe: which hypervisors and IOMMUs this host has, and why not. */
#include "cli.h"

#include <getopt.h>

static void usage(FILE *out)
{
    fprintf(out,
        "usage: vmaccel probe [--sysfs DIR] [--devfs DIR] [--devicetree DIR]\n\n"
        "Detects KVM (/dev/kvm: API version, vCPU limits, whether a VM can be\n"
        "created), HVF and WHPX (on their platforms), and the IOMMU\n"
        "(/sys/class/iommu, /sys/kernel/iommu_groups, device-tree arm,smmu-v3\n"
        "nodes). Prints one line per finding with the reason when absent.\n"
        "The roots default to /sys, /dev and /sys/firmware/devicetree/base.\n");
}

static const char *const hv_name[] = {"kvm", "hvf", "whpx"};
static const char *const hv_status[] = {"available", "unavailable", "not applicable"};
static const char *const iommu_kind[] = {"none", "smmuv3", "intel-vtd", "amd-vi", "other"};

static int print_probes(vmaccel_manager *m)
{
    for (int i = 0; i < VMACCEL_HV_COUNT_; i++) {
        vmaccel_hv_info hv = VMACCEL_HV_INFO_INIT;
        int rc = vmaccel_manager_hypervisor(m, (vmaccel_hypervisor)i, &hv);
        if (rc)
            return cli_lib_error("probe", "hypervisor probe", rc);
        printf("%-6s %s", hv_name[i], hv_status[hv.status]);
        if (hv.status == VMACCEL_HV_AVAILABLE && i == VMACCEL_HV_KVM)
            printf(" (API %d, max %u vCPUs, recommended %u)", hv.api_version,
                   hv.max_vcpus, hv.recommended_vcpus);
        printf("%s%s\n", hv.reason[0] ? ": " : "", hv.reason);
    }
    vmaccel_iommu_info io = VMACCEL_IOMMU_INFO_INIT;
    int rc = vmaccel_manager_iommu(m, &io);
    if (rc)
        return cli_lib_error("probe", "IOMMU probe", rc);
    if (io.present)
        printf("iommu  %s: %u unit%s, %u group%s, %u device-tree SMMUv3 node%s\n",
               iommu_kind[io.kind], io.units, io.units == 1 ? "" : "s", io.groups,
               io.groups == 1 ? "" : "s", io.dt_smmuv3_nodes,
               io.dt_smmuv3_nodes == 1 ? "" : "s");
    else
        printf("iommu  none: %s\n", io.reason);
    return CLI_OK;
}

int cmd_probe(int argc, char **argv)
{
    static const struct option opts[] = {
        {"sysfs", required_argument, 0, 's'}, {"devfs", required_argument, 0, 'd'},
        {"devicetree", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    vmaccel_manager_options mo;
    vmaccel_manager_options_init(&mo);
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "s:d:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': mo.sysfs_root = optarg; break;
        case 'd': mo.devfs_root = optarg; break;
        case 't': mo.devicetree_root = optarg; break;
        case 'h': usage(stdout); return CLI_OK;
        default: usage(stderr); return CLI_USAGE;
        }
    }
    if (optind < argc)
        return cli_error(CLI_USAGE, "probe", "unexpected argument '%s'", argv[optind]);
    vmaccel_manager *m;
    int rc = vmaccel_manager_new(&mo, &m);
    if (rc)
        return cli_lib_error("probe", "cannot create a manager", rc);
    rc = print_probes(m);
    vmaccel_manager_free(m);
    return rc;
}
