/*
 * Internal: the "no fix" reasons already told about one VM, so that each is
 * told once until the VM is acted on again - also when a VM's NUMA clients
 * take turns (a wide VM whose two guest nodes each have their own reason
 * would otherwise alternate, and every period would repeat one).
 */
#ifndef VA_NUMA_TOLD_H
#define VA_NUMA_TOLD_H

#include <stdbool.h>
#include <stdint.h>

#define VA_TOLD_KEPT 8 /* reasons remembered; the oldest goes first */

typedef struct va_told {
    uint32_t hash[VA_TOLD_KEPT]; /* of each reason told; 0: free */
    unsigned next;               /* the slot the next reason takes */
} va_told;

/* True the first time `why` is seen since the last clear (it is then
 * remembered), false when it was told already. */
bool va_told_first(va_told *t, const char *why);
/* Forgets every reason (the VM was acted on: the next "no fix" is news). */
void va_told_clear(va_told *t);

#endif
