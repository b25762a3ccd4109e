/* Where `vmaccel pin` keeps the originals it saves (see pin_state.h). */
#include "pin_state.h"

#include "safe_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* 4096 vCPUs take well under 1 MiB; the library itself stops at 64 MiB. */
#define STATE_MAX_BYTES (16u << 20)
#define NOTHING_CHANGED "cannot save the original affinity, so nothing was changed"
#define WHAT_TO_DO "set VMACCEL_STATE_DIR to a directory of yours, or pass --no-save"

/* The state directory's name, or false (with the reason in *why) when
 * there is none to use. Prints nothing. */
static bool dir_name(pin_state *s, safe_why *why)
{
    const char *env = getenv("VMACCEL_STATE_DIR");
    why->err = ENAMETOOLONG;
    snprintf(why->text, sizeof why->text, "the state directory name is too long");
    if (env && *env)
        return snprintf(s->dir, sizeof s->dir, "%s", env) < (int)sizeof s->dir;
    return safe_default_dir(s->dir, sizeof s->dir, why) == 0;
}

static int choose_dir(pin_state *s, bool create)
{
    safe_why why;
    if (dir_name(s, &why))
        return CLI_OK;
    if (create)
        return cli_error(CLI_FAILED, "pin", NOTHING_CHANGED ": %s; " WHAT_TO_DO, why.text);
    return cli_error(CLI_FAILED, "pin", "no saved affinity: %s; set VMACCEL_STATE_DIR to "
                     "where `vmaccel pin` saved it", why.text);
}

int pin_state_open(pin_state *s, long pid, bool create)
{
    s->pid = pid;
    s->dirfd = -1;
    snprintf(s->name, sizeof s->name, "pin-%ld.json", pid);
    if (choose_dir(s, create))
        return CLI_FAILED;
    safe_why why;
    s->dirfd = safe_dir_open(s->dir, create, &why);
    if (s->dirfd >= 0)
        return CLI_OK;
    if (create)
        return cli_error(CLI_FAILED, "pin", NOTHING_CHANGED ": %s; " WHAT_TO_DO, why.text);
    if (why.err == ENOENT)
        return cli_error(CLI_FAILED, "pin", "no saved affinity for pid %ld: %s does not exist "
                         "(was it pinned with `vmaccel pin` as this user?)", pid, s->dir);
    return cli_error(CLI_FAILED, "pin", "will not read the saved affinity: %s", why.text);
}

void pin_state_close(pin_state *s)
{
    safe_dir_close(s->dirfd);
    s->dirfd = -1;
}

/* A state an earlier pin of this very process saved holds the true
 * originals: load it, so that the capture keeps them. One saved for an
 * earlier process with the same pid is stale and gets replaced. */
static int keep_earlier(pin_state *s, vmaccel_vm *vm)
{
    char *text = NULL, what[PATH_MAX + 128];
    size_t len = 0;
    safe_why why;
    if (safe_file_read(s->dirfd, s->name, STATE_MAX_BYTES, &text, &len, &why) &&
        why.err != ENOENT)
        return cli_error(CLI_FAILED, "pin", NOTHING_CHANGED ": in %s, %s; remove it to "
                         "start afresh", s->dir, why.text);
    if (!text)
        return CLI_OK; /* no earlier state */
    int rc = vmaccel_vm_affinity_state_load(vm, text, len);
    free(text);
    if (rc == 0)
        fprintf(stderr, "vmaccel pin: keeping the originals an earlier pin saved in %s/%s\n",
                s->dir, s->name);
    if (rc == 0 || rc == VMACCEL_ESTATE)
        return CLI_OK;
    snprintf(what, sizeof what, NOTHING_CHANGED " (remove %s/%s to start afresh)", s->dir,
             s->name);
    return cli_lib_error("pin", what, rc);
}

int pin_state_save(pin_state *s, vmaccel_vm *vm, const vmaccel_pin_options *o)
{
    if (keep_earlier(s, vm))
        return CLI_FAILED;
    vmaccel_buf buf = {0};
    int rc = vmaccel_vm_affinity_state_capture(vm, o);
    if (rc)
        return cli_lib_error("pin", "cannot read the originals, so nothing was changed", rc);
    if ((rc = vmaccel_vm_affinity_state(vm, &buf)))
        return cli_lib_error("pin", NOTHING_CHANGED, rc);
    safe_why why;
    int failed = safe_file_replace(s->dirfd, s->name, buf.data, buf.len, 0600, true, &why);
    vmaccel_buf_free(&buf);
    if (failed)
        return cli_error(CLI_FAILED, "pin", NOTHING_CHANGED ": in %s, %s", s->dir, why.text);
    fprintf(stderr, "vmaccel pin: original affinity saved in %s/%s\n", s->dir, s->name);
    return CLI_OK;
}

int pin_state_load(pin_state *s, vmaccel_vm *vm)
{
    char *text = NULL;
    size_t len = 0;
    safe_why why;
    if (safe_file_read(s->dirfd, s->name, STATE_MAX_BYTES, &text, &len, &why) &&
        why.err == ENOENT)
        return cli_error(CLI_FAILED, "pin", "no saved affinity for pid %ld in %s (was it "
                         "pinned with `vmaccel pin` as this user?)", s->pid, s->dir);
    if (!text)
        return cli_error(CLI_FAILED, "pin", "will not restore from %s: %s", s->dir, why.text);
    int rc = vmaccel_vm_affinity_state_load(vm, text, len);
    free(text);
    return rc ? cli_lib_error("pin", "cannot load the saved affinity", rc) : CLI_OK;
}

void pin_state_remove(pin_state *s)
{
    safe_why why;
    if (safe_file_remove(s->dirfd, s->name, &why))
        fprintf(stderr, "vmaccel pin: warning: cannot remove %s/%s: %s\n", s->dir, s->name,
                why.text);
}

bool pin_state_adopt(vmaccel_vm *vm, long pid)
{
    pin_state s = {.pid = pid, .dirfd = -1};
    safe_why why;
    char *text = NULL;
    size_t len = 0;
    snprintf(s.name, sizeof s.name, "pin-%ld.json", pid);
    if (!dir_name(&s, &why) || (s.dirfd = safe_dir_open(s.dir, false, &why)) < 0)
        return false;
    safe_file_read(s.dirfd, s.name, STATE_MAX_BYTES, &text, &len, &why);
    pin_state_close(&s);
    bool adopted = text && vmaccel_vm_affinity_state_load(vm, text, len) == 0;
    free(text);
    return adopted;
}
