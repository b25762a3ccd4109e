/* vmaccel topology: show the CPU, cache and NUMA topology. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
        "usage: vmaccel topology [--xml FILE | --synthetic DESC] [--allowed CPULIST]\n"
        "                        [--format text|json|pb]\n\n"
        "Shows packages, NUMA nodes (memory, distances), cores, PUs, L1/L2/L3\n"
        "caches with the PUs sharing each, and the CPUs this process may use.\n"
        "The protobuf output is a vmaccel.v1.Topology message:\n"
        "  vmaccel topology --format pb | protoc --decode=vmaccel.v1.Topology vmaccel.proto\n\n"
        "  --xml FILE         load an hwloc XML file instead of the live host\n"
        "  --synthetic DESC   an hwloc synthetic topology, e.g.\n"
        "                     \"pack:2 numa:2 l3:1 core:4 pu:2\"\n"
        "  --allowed CPULIST  play a cpuset, e.g. 0-3,8 (default: the real one)\n"
        "  --format FMT       text (default), json or pb\n");
}

int cmd_topology(int argc, char **argv)
{
    static const struct option opts[] = {
        {"xml", required_argument, 0, 'x'}, {"synthetic", required_argument, 0, 's'},
        {"allowed", required_argument, 0, 'a'}, {"format", required_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *xml = NULL, *synthetic = NULL, *allowed = NULL;
    vmaccel_format format = VMACCEL_FORMAT_TEXT;
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "x:s:a:f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'x': xml = optarg; break;
        case 's': synthetic = optarg; break;
        case 'a': allowed = optarg; break;
        case 'f':
            if (cli_parse_format(optarg, &format))
                return cli_error(CLI_USAGE, "topology", "unknown format '%s' "
                                 "(text, json or pb)", optarg);
            break;
        case 'h': usage(stdout); return CLI_OK;
        default: usage(stderr); return CLI_USAGE;
        }
    }
    if (optind < argc)
        return cli_error(CLI_USAGE, "topology", "unexpected argument '%s'", argv[optind]);
    vmaccel_topology_options topts;
    int rc = cli_topology_options("topology", xml, synthetic, &topts);
    if (rc)
        return rc;
    topts.allowed_cpus = allowed;
    vmaccel_topology *topo;
    rc = vmaccel_topology_load(&topts, &topo);
    if (rc)
        return cli_lib_error("topology", "cannot load the topology", rc);
    vmaccel_buf buf = {0};
    rc = vmaccel_topology_report(topo, format, &buf);
    vmaccel_topology_free(topo);
    if (rc)
        return cli_lib_error("topology", "cannot render the topology", rc);
    rc = cli_write_buf(&buf, format);
    vmaccel_buf_free(&buf);
    return rc ? cli_error(CLI_FAILED, "topology", "cannot write to stdout") : CLI_OK;
}
