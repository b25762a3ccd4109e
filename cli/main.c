/* vmaccel: the command-line front end of libvmaccel. */
#include "cli.h"

#include <string.h>

static const cli_command commands[] = {
    {"run", "watch VMs and rebalance them (the main job)", cmd_run},
    {"plot", "draw a recorded run (vmaccel run --record) as SVG", cmd_plot},
    {"topology", "show the CPU, cache and NUMA topology", cmd_topology},
    {"probe", "detect the hypervisor (KVM/HVF/WHPX) and the IOMMU", cmd_probe},
    {"report", "print the full diagnostic report", cmd_report},
    {"plan", "plan where VMs' vCPUs would go (no pinning)", cmd_plan},
    {"pin", "pin a running VMM's vCPU threads, or --restore them", cmd_pin},
    {"smmu", "replay SMMUv3 translations from a scenario (smmu replay FILE)", cmd_smmu},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: vmaccel [--version] [--help] COMMAND [ARGS]\n\n"
                 "Places VM vCPUs and memory on NUMA hosts and models an SMMUv3.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'vmaccel COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("vmaccel %s\n", vmaccel_version());
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vmaccel: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
