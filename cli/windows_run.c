/* vmaccel run on Windows: not built yet. The Linux command waits on a
 * signalfd and the event queue's descriptor, neither of which Windows has;
 * a port needs a console control handler and vmaccel_event_next() waits.
 * Until then the command says so instead of doing nothing. */
#include "cli.h"

#include <string.h>

int cmd_run(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: vmaccel run ...\n\n"
               "Not available in the Windows build yet: use vmaccel pin, plan, "
               "topology, probe and report.\n");
        return CLI_OK;
    }
    return cli_error(CLI_FAILED, "run", "not available on Windows yet (it waits on "
                     "signalfd and an event descriptor, which Windows lacks): use "
                     "vmaccel pin, plan, topology, probe or report");
}
