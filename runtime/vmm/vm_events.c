/* VM lifecycle events (attached, gone) into the manager's event stream. */
#include "vmm/vm_internal.h"

#include "loop/events.h"

#include <stdarg.h>
#include <stdio.h>

void va_vm_emit(vmaccel_vm *vm, vmaccel_event_type type, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* An event that cannot be queued (out of memory) must not turn a
     * successful attach or a detected exit into a failure. */
    va_event_emitf(vm->m, type, vm->id, 0.0, "%s", msg);
}
