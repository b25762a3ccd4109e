/* Where `vmaccel pin` keeps the originals it saves before it changes a
 * thread, so that `vmaccel pin --restore` can give them back: the file
 * pin-PID.json in $VMACCEL_STATE_DIR, else the user's own default
 * (safe_default_dir: Linux /run/vmaccel for root, else
 * $XDG_RUNTIME_DIR/vmaccel; Windows %LOCALAPPDATA%\vmaccel). The directory must be
 * the user's alone, the file a regular file nobody else can write
 * (safe_file.h). Every function prints its own error ("vmaccel pin: ...")
 * and returns CLI_OK or CLI_FAILED. */
#ifndef VMACCEL_CLI_PIN_STATE_H
#define VMACCEL_CLI_PIN_STATE_H

#include "cli.h"

#include <limits.h>
#include <stdbool.h>

typedef struct pin_state {
    long pid;
    int dirfd;
    char dir[PATH_MAX];
    char name[32];   /* pin-PID.json */
} pin_state;

/* Opens the state directory for the VMM `pid`; `create` (pinning) makes
 * it 0700 when missing. */
int pin_state_open(pin_state *s, long pid, bool create);
void pin_state_close(pin_state *s);

/* Before a pin: reads the originals of the threads `o` will change and
 * writes them durably (vmaccel_vm_affinity_state_capture, then
 * safe_file_replace). Originals an earlier pin of this very process saved
 * are kept, so pinning twice still restores the first originals. */
int pin_state_save(pin_state *s, vmaccel_vm *vm, const vmaccel_pin_options *o);

/* Loads the saved originals into `vm` (the library checks that they are
 * for this very process and these threads). */
int pin_state_load(pin_state *s, vmaccel_vm *vm);

/* For `vmaccel run`: loads, quietly, the state an earlier `vmaccel pin` of
 * this very VMM saved (none, unsafe or another process's: false). Its pins
 * then read as vm-accel's, not as the operator's, and a restore gives back
 * the affinity from before that first pin. */
bool pin_state_adopt(vmaccel_vm *vm, long pid);

/* Deletes the saved state once it has been given back (a failure is only
 * a warning: the threads are restored). */
void pin_state_remove(pin_state *s);

#endif
