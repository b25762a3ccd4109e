/*
 * vmaccel/report.h - diagnostic reports (vmaccel.v1.DiagnosticReport).
 */
#ifndef VMACCEL_REPORT_H
#define VMACCEL_REPORT_H

#include "common.h"
#include "manager.h"

VMACCEL_BEGIN_DECLS

/* The manager's diagnostic report: host topology, hypervisor and IOMMU
 * probes, component states, and the VM, placement, locality, SMMU and event
 * sections, in `format`. Release *out with vmaccel_buf_free().
 * Thread safety: any thread (reads a snapshot). */
VMACCEL_API int vmaccel_manager_report(const vmaccel_manager *m,
                                       vmaccel_format format,
                                       vmaccel_buf *out);

/* Renders a protobuf-encoded vmaccel.v1.Event (as vmaccel_event_next
 * returns it) as text or canonical JSON, e.g. for logs. Errors:
 * VMACCEL_EPARSE (not an Event message), VMACCEL_EINVAL. Release *out with
 * vmaccel_buf_free(). Thread safety: any thread. */
VMACCEL_API int vmaccel_event_render(const uint8_t *data, size_t len,
                                     vmaccel_format format, vmaccel_buf *out);

VMACCEL_END_DECLS

#endif /* VMACCEL_REPORT_H */
