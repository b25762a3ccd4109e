/*
 * Internal to runtime/vmm/libvirt/: a VM acted on through libvirt (see
 * vmm/libvirt.h for what and why).
 *
 *  xml.c       the live domain XML -> lv_facts (pure, libxml2 XPath)
 *  conn.c      connections, libvirt errors -> VMACCEL_E* codes
 *  domain.c    which QEMU process is which domain; the monitor passthrough
 *  platform.c  the per-VM platform seam (lv_vm)
 *  api.c       attaching, listing domains (public API), the libvirt.h calls
 *  load.c      libvirt and libxml2, loaded at the first connection
 */
#ifndef VA_VMM_LIBVIRT_LV_H
#define VA_VMM_LIBVIRT_LV_H

#include "vmm/libvirt.h"

#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <pthread.h>
#include <signal.h>

/* ---- libvirt and libxml2, loaded at first use (load.c) ---- */

/* The libvirt and libxml2 functions vm-accel calls, through lv_api. They
 * are looked up (dlopen) at the first connection rather than linked:
 * libvirt brings some fifty libraries (GnuTLS, Kerberos, ICU, ...), which
 * every program using libvmaccel loaded at its start, used or not - a VMM
 * embedding the SMMU model, a Python script, each `vmaccel` command
 * (`vmaccel --version` took 1.4-1.9 s in a busy TCG guest, a few ms on a
 * host). The headers still give each function's type. */
#define LV_LIBVIRT_CALLS(X)                                                              \
    X(virConnectClose) X(virConnectGetURI) X(virConnectIsAlive)                          \
    X(virConnectListAllDomains) X(virConnectOpen) X(virDomainFree) X(virDomainGetName)    \
    X(virDomainGetUUIDString) X(virDomainGetXMLDesc) X(virDomainIsActive)                \
    X(virDomainLookupByName) X(virDomainLookupByUUIDString) X(virDomainPinVcpuFlags)      \
    X(virDomainSetMetadata) X(virDomainSetNumaParameters) X(virGetLastError)             \
    X(virResetLastError) X(virSetErrorFunc)
#define LV_LIBVIRT_QEMU_CALLS(X) X(virDomainQemuMonitorCommand)
#define LV_LIBXML2_CALLS(X)                                                              \
    X(xmlReadMemory) X(xmlFreeDoc) X(xmlGetProp) X(xmlXPathNewContext)                   \
    X(xmlXPathFreeContext) X(xmlXPathEvalExpression) X(xmlXPathFreeObject)               \
    X(xmlXPathRegisterNs)

#define LV_API_FIELD(name) __typeof__(name) *name;
typedef struct lv_api_calls {
    LV_LIBVIRT_CALLS(LV_API_FIELD)
    LV_LIBVIRT_QEMU_CALLS(LV_API_FIELD)
    LV_LIBXML2_CALLS(LV_API_FIELD)
    xmlFreeFunc *xml_free; /* libxml2's xmlFree is a variable holding the function */
} lv_api_calls;
#undef LV_API_FIELD

/* Filled by lv_load, read-only after. */
extern lv_api_calls lv_api;

/* Loads libvirt, libvirt-qemu and libxml2 once (thread-safe; never
 * unloaded). 0, or VMACCEL_ENOTSUP naming the library or function
 * missing - libvirt is optional at run time, as at build time. */
int lv_load(void);

/* vm-accel's record of its own pins, in the domain's live metadata, so a
 * later vm-accel tells them from the operator's <vcpupin>. */
#define LV_NS_URI "https://github.com/vm-accel/vmaccel/xmlns/libvirt-pins/1"
#define LV_NS_PREFIX "vmaccel"
#define LV_MAX_VCPUS VA_VM_MAX_VCPUS

typedef struct lv_pin_record {
    bool present;
    char cpuset[256];          /* what vm-accel set */
    char was[256];             /* the <vcpupin> before vm-accel's first pin, "" none */
} lv_pin_record;

/* What the live domain XML says (xml.c). cpusets are libvirt syntax
 * ("0-3,^2"), already checked to parse. */
typedef struct lv_facts {
    char name[64];
    char uuid[40];
    unsigned vcpus;                  /* <vcpu> */
    char vcpu_cpuset[256];           /* <vcpu cpuset=...>, "" none */
    char vcpu_placement[16];         /* "static" or "auto" */
    char (*vcpupin)[256];            /* per vCPU: <vcpupin cpuset>, "" none (vcpus entries) */
    char mem_mode[16];               /* <numatune><memory mode>, "" none */
    char mem_nodeset[256];           /* ... nodeset, "" none (placement='auto') */
    char mem_placement[16];
    int *guest_node;                 /* per vCPU: its <cpu><numa><cell>, -1 */
    lv_pin_record *ours;             /* per vCPU: vm-accel's record */
} lv_facts;

/* Parses a live domain XML (at most 4 MiB). VMACCEL_EPARSE on anything
 * malformed; lv_facts_free releases it. */
int lv_parse_domain_xml(const char *xml, size_t len, lv_facts *out);
void lv_facts_free(lv_facts *f);

/* libvirt's cpuset syntax: ranges, commas, '^' exclusions. */
int lv_parse_cpuset(const char *text, va_cpumask *out);

/* The metadata element recording vm-accel's pins (malloc'd). */
char *lv_pins_xml(const lv_pin_record *ours, size_t n);

/* ---- connections (conn.c) ---- */

/* libvirt writes to its socket with plain write(): a daemon that went away
 * raises SIGPIPE, which would kill the host program. Every entry point
 * into libvirt runs between lv_quiet_begin and lv_quiet_end, which block
 * SIGPIPE on the calling thread (libvirt's client I/O runs on the caller's
 * thread) and consume one raised meanwhile; the process's own handling of
 * SIGPIPE is never changed. */
typedef struct lv_quiet {
    sigset_t old;
    bool was_pending;
} lv_quiet;
void lv_quiet_begin(lv_quiet *q);
void lv_quiet_end(lv_quiet *q);

/* Opens `uri` (NULL: libvirt's default), libvirt's own error printing
 * silenced. */
int lv_open(const char *uri, virConnectPtr *out);
/* Turns libvirt's last error into a VMACCEL_E* code and message:
 * VMACCEL_EGONE for a domain that is not running (or no longer exists),
 * VMACCEL_EIO for a dropped connection, VMACCEL_EPERM for access denied. */
int lv_fail(int fallback, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A domain by name or UUID (must be running). */
int lv_lookup(virConnectPtr conn, const char *domain, virDomainPtr *out);

/* ---- domains and processes (domain.c) ---- */

/* The local QEMU process of a domain (by its -uuid). VMACCEL_ENOTSUP when
 * none runs here (a remote URI). */
int lv_domain_pid(const char *uuid, const char *name, int *pid);
/* Whether running domain `dom` is process pid's QEMU. */
int lv_check_domain_pid(virDomainPtr dom, const va_platform *p, int pid);
/* The monitor passthrough: the reply to a QMP command (malloc'd). */
int lv_monitor_query(virDomainPtr dom, const char *command, char **reply, size_t *len);

/* ---- the per-VM platform (platform.c) ---- */

typedef struct lv_vm lv_vm;

/* Makes the platform of a VM of domain `dom` (taking its references). */
int lv_vm_new(virConnectPtr conn, virDomainPtr dom, const char *uri, lv_vm **out);
va_platform *lv_vm_platform(lv_vm *v);
void lv_vm_free(va_platform *p);
/* Which thread is which vCPU. */
int lv_vm_bind(lv_vm *v, const va_vcpu *vcpus, size_t n);
/* Sets each vCPU's guest NUMA node from the domain's <cpu><numa> cells
 * where QMP did not give it. */
int lv_vm_guest_nodes(lv_vm *v, va_vcpu *vcpus, size_t n);
virDomainPtr lv_vm_domain(lv_vm *v);
lv_vm *lv_vm_of(const va_platform *p);

#endif
