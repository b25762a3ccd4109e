/*
 * Internal: handle validation.
 *
 * Every public object starts with a va_handle. Live handles are recorded in
 * a process-wide registry so that a freed or foreign pointer is recognised
 * *without dereferencing it*: va_handle_check() first asks the registry,
 * and only then reads the tag. Lookups take no lock (the IOTLB hit path
 * validates its handle too); inserts and removals are serialised.
 */
#ifndef VA_CORE_HANDLE_H
#define VA_CORE_HANDLE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum va_handle_kind {
    VA_HANDLE_MANAGER = 0x4d414e31, /* "MAN1" */
    VA_HANDLE_TOPOLOGY = 0x544f5031,
    VA_HANDLE_VM = 0x564d3031,
    VA_HANDLE_SMMU = 0x534d5531,
    VA_HANDLE_PLAN = 0x504c4e31 /* "PLN1": vmaccel_plan */
} va_handle_kind;

typedef struct va_handle {
    /* va_handle_kind while registered, 0 after. Read with atomic loads:
     * a caller racing a free with a use is wrong, but must get EINVAL or
     * success, never undefined behaviour in the library. */
    uint32_t kind;
} va_handle;

/* Registers a new object. Returns VMACCEL_ENOMEM when the registry is full
 * (VA_HANDLE_CAPACITY live handles). */
int va_handle_register(va_handle *h, va_handle_kind kind);

/* Unregisters; returns false if `h` was not a live handle of `kind`. */
bool va_handle_unregister(const void *h, va_handle_kind kind);

/* True if `h` is a live handle of `kind`. Lock-free. */
bool va_handle_is_live(const void *h, va_handle_kind kind);

/* va_handle_is_live() or VMACCEL_EINVAL with a message naming `what`. */
int va_handle_check(const void *h, va_handle_kind kind, const char *what);

#endif
