/* The parse guard on Linux (parse_guard.h). hwloc 2.9's XML import
 * crashes on some malformed files (found by tests/fuzz/fuzz_topology.c). A topology file is outside input, so a
 * forked child parses it first; only if the child survives does this
 * process parse it too. XML loads are rare (tests, what-if planning), so
 * parsing twice costs nothing that matters. The child calls nothing but
 * hwloc and _exit.
 * hwloc 2.9 also leaks what it parsed of a synthetic description's memory
 * children ("[numa]") when the rest of the description is bad (found by
 * the same target): such descriptions are tried in a child first too, so
 * this process only ever parses ones hwloc accepts. */
#include "topology/parse_guard.h"

#include "core/error.h"

#include <errno.h>
#include <hwloc.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { XML_PARSED = 0, XML_REJECTED = 86 };

int va_topology_parse_guard(const vmaccel_topology_options *o)
{
    bool xml = o->source == VMACCEL_TOPOLOGY_XML;
    const char *what = xml ? o->path : o->synthetic;
    pid_t child = fork();
    if (child < 0)
        return va_fail(VMACCEL_EIO, "fork to check %s: %s", what, strerror(errno));
    if (child == 0) {
        /* Die by the signal itself, not through a sanitizer's handler that
         * would exit with a status a clean rejection could also have. */
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        signal(SIGFPE, SIG_DFL);
        signal(SIGILL, SIG_DFL);
        signal(SIGABRT, SIG_DFL);
        hwloc_topology_t h;
        int ok = hwloc_topology_init(&h) == 0 &&
                 (xml ? hwloc_topology_set_xml(h, what) == 0 && hwloc_topology_load(h) == 0
                      : hwloc_topology_set_synthetic(h, what) == 0);
        _exit(ok ? XML_PARSED : XML_REJECTED);
    }
    int status;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR)
            return va_fail(VMACCEL_EIO, "waitpid: %s", strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == XML_PARSED)
        return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == XML_REJECTED)
        return xml ? va_fail(VMACCEL_EPARSE, "hwloc could not load the XML topology from %s",
                             what)
                   : va_topology_bad_synthetic(what);
    return va_fail(VMACCEL_EPARSE, "%s crashes hwloc's %s parser (%s %d): refused", what,
                   xml ? "XML" : "synthetic", WIFSIGNALED(status) ? "signal" : "exit status",
                   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

