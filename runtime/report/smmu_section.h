/* Internal: the SMMU section of the diagnostic report. */
#ifndef VA_REPORT_SMMU_SECTION_H
#define VA_REPORT_SMMU_SECTION_H

#include "report/arena.h"
#include "vmaccel.pb-c.h"
#include "vmaccel/smmu.h"

/* Sets r->smmu: not initialized when smmu is NULL, otherwise its IOTLB
 * capacity and per-stream statistics (sorted by SID, at most 1024). Takes
 * the model's lock. 0 or VMACCEL_ENOMEM. */
int va_report_smmu(vmaccel_smmu *smmu, Vmaccel__V1__DiagnosticReport *r, va_arena *a);

#endif
