/* vmaccel run --libvirt: every domain running at the URI is attached (and
 * acted on through libvirt); domains started later are picked up at the
 * next interval. */
#include "run.h"

#include <stdio.h>
#include <string.h>

void run_scan_libvirt(run_state *s, bool quiet)
{
    /* A connection that fails is said once, and again when it is back: the
     * run goes on, every scan connects again. */
    static bool unreachable;
    vmaccel_buf list = {0};
    int rc = vmaccel_libvirt_domains(s->opts.libvirt_uri, &list);
    if (rc) {
        if (!unreachable)
            cli_lib_error("run", "cannot list libvirt's domains (retrying each interval)", rc);
        unreachable = true;
        return;
    }
    if (unreachable)
        fprintf(stderr, "vmaccel run: libvirt answers again\n");
    unreachable = false;
    char *save = NULL;
    for (char *uuid = strtok_r((char *)list.data, "\n", &save); uuid;
         uuid = strtok_r(NULL, "\n", &save)) {
        rc = run_attach_domain(s, uuid, true);
        /* A domain still starting (or stopping) is tried again next scan. */
        if (rc && rc != RUN_FD_LIMIT && (!quiet || (rc != VMACCEL_EGONE && rc != VMACCEL_ENOENT)))
            cli_lib_error("run", "cannot attach a libvirt domain", rc);
    }
    vmaccel_buf_free(&list);
}
