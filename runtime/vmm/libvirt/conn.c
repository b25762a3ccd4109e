/* libvirt connections and errors (see lv.h). */
#include "vmm/libvirt/lv.h"

#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* libvirt prints every error to stderr unless told otherwise; vm-accel
 * reports them itself (vmaccel_error_last), so the printing is silenced
 * once, process-wide (virSetErrorFunc is global in libvirt). */
static void quiet(void *user, virErrorPtr err)
{
    (void)user;
    (void)err;
}

static pthread_once_t silence_once = PTHREAD_ONCE_INIT;

static void silence(void)
{
    lv_api.virSetErrorFunc(NULL, quiet);
}

void lv_quiet_begin(lv_quiet *q)
{
    sigset_t pipe, pending;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigpending(&pending);
    q->was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &q->old);
}

void lv_quiet_end(lv_quiet *q)
{
    sigset_t pipe, pending;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigpending(&pending);
    /* One raised by libvirt's writes is ours to swallow; one that was
     * pending before belongs to the program. */
    if (sigismember(&pending, SIGPIPE) && !q->was_pending) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &q->old, NULL);
}

int lv_fail(int fallback, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    virErrorPtr e = lv_api.virGetLastError();
    const char *msg = e && e->message ? e->message : "no detail from libvirt";
    int code = fallback;
    if (e && (e->code == VIR_ERR_NO_DOMAIN || e->code == VIR_ERR_OPERATION_INVALID))
        code = VMACCEL_EGONE; /* "domain is not running", or it went away */
    else if (e && (e->code == VIR_ERR_ACCESS_DENIED || e->code == VIR_ERR_AUTH_FAILED ||
                   e->code == VIR_ERR_AUTH_CANCELLED))
        code = VMACCEL_EPERM;
    else if (e && (e->domain == VIR_FROM_RPC || e->code == VIR_ERR_SYSTEM_ERROR ||
                   e->code == VIR_ERR_INTERNAL_ERROR || e->code == VIR_ERR_NO_CONNECT))
        code = VMACCEL_EIO;
    int rc = va_fail(code, "%s: %s%s", what, msg,
                     code == VMACCEL_EIO ? " (is libvirtd running and reachable?)" : "");
    lv_api.virResetLastError();
    return rc;
}

int lv_open(const char *uri, virConnectPtr *out)
{
    *out = NULL;
    int rc = lv_load();
    if (rc)
        return rc;
    pthread_once(&silence_once, silence);
    if (uri && !*uri)
        uri = NULL; /* "" is the default too (bindings pass no NULL strings) */
    *out = lv_api.virConnectOpen(uri);
    return *out ? 0 : lv_fail(VMACCEL_EIO, "cannot connect to libvirt at %s",
                              uri ? uri : "its default URI");
}

static bool is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-'
                                                      : !strchr("0123456789abcdefABCDEF", s[i]))
            return false;
    return true;
}

int lv_lookup(virConnectPtr conn, const char *domain, virDomainPtr *out)
{
    *out = is_uuid(domain) ? lv_api.virDomainLookupByUUIDString(conn, domain)
                           : lv_api.virDomainLookupByName(conn, domain);
    if (!*out) {
        int rc = lv_fail(VMACCEL_ENOENT, "libvirt domain \"%s\"", domain);
        return rc == VMACCEL_EGONE ? va_fail(VMACCEL_ENOENT, "no libvirt domain \"%s\"",
                                             domain)
                                   : rc;
    }
    int active = lv_api.virDomainIsActive(*out);
    if (active == 1)
        return 0;
    int rc = active < 0 ? lv_fail(VMACCEL_EIO, "libvirt domain \"%s\"", domain)
                        : va_fail(VMACCEL_ENOENT, "libvirt domain \"%s\" is not running",
                                  domain);
    lv_api.virDomainFree(*out);
    *out = NULL;
    return rc;
}
