/* vmaccel report: the full diagnostic report of this host. */
#include "cli.h"

#include <getopt.h>

static void usage(FILE *out)
{
    fprintf(out,
        "usage: vmaccel report [--format text|json|pb] [--setup-full]\n"
        "                      [--xml FILE | --synthetic DESC]\n"
        "                      [--sysfs DIR] [--devfs DIR] [--devicetree DIR]\n\n"
        "Prints a vmaccel.v1.DiagnosticReport: topology, hypervisor and IOMMU\n"
        "probes, component states and the VM, placement, locality, SMMU and\n"
        "event sections.\n\n"
        "  --format FMT     text (default), json or pb\n"
        "  --setup-full     run setup_full first, so the report says which\n"
        "                   components this host supports and why others not\n"
        "  --xml/--synthetic  report on that topology instead of the live one\n"
        "  --sysfs/--devfs/--devicetree  probe fixture trees instead of /sys, /dev\n"
        "Set VMACCEL_REPORT_TIMESTAMP=NS to fix the timestamp (reproducible output).\n");
}

static int emit(vmaccel_manager *m, int setup_full, vmaccel_format format)
{
    int rc = setup_full ? vmaccel_manager_setup_full(m) : 0;
    if (rc)
        return cli_lib_error("report", "setup_full", rc);
    vmaccel_buf buf = {0};
    rc = vmaccel_manager_report(m, format, &buf);
    if (rc)
        return cli_lib_error("report", "cannot build the report", rc);
    rc = cli_write_buf(&buf, format);
    vmaccel_buf_free(&buf);
    return rc ? cli_error(CLI_FAILED, "report", "cannot write to stdout") : CLI_OK;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, 0, 'f'}, {"setup-full", no_argument, 0, 'S'},
        {"xml", required_argument, 0, 'x'}, {"synthetic", required_argument, 0, 'y'},
        {"sysfs", required_argument, 0, 's'}, {"devfs", required_argument, 0, 'd'},
        {"devicetree", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    vmaccel_manager_options mo;
    vmaccel_manager_options_init(&mo);
    vmaccel_format format = VMACCEL_FORMAT_TEXT;
    const char *xml = NULL, *synthetic = NULL;
    int setup_full = 0, c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "f:Sx:y:s:d:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (cli_parse_format(optarg, &format))
                return cli_error(CLI_USAGE, "report", "unknown format '%s' "
                                 "(text, json or pb)", optarg);
            break;
        case 'S': setup_full = 1; break;
        case 'x': xml = optarg; break;
        case 'y': synthetic = optarg; break;
        case 's': mo.sysfs_root = optarg; break;
        case 'd': mo.devfs_root = optarg; break;
        case 't': mo.devicetree_root = optarg; break;
        case 'h': usage(stdout); return CLI_OK;
        default: usage(stderr); return CLI_USAGE;
        }
    }
    if (optind < argc)
        return cli_error(CLI_USAGE, "report", "unexpected argument '%s'", argv[optind]);
    vmaccel_topology_options topts;
    int rc = cli_topology_options("report", xml, synthetic, &topts);
    if (rc)
        return rc;
    mo.topology = &topts;
    vmaccel_manager *m;
    rc = vmaccel_manager_new(&mo, &m);
    if (rc)
        return cli_lib_error("report", "cannot create a manager", rc);
    rc = emit(m, setup_full, format);
    vmaccel_manager_free(m);
    return rc;
}
