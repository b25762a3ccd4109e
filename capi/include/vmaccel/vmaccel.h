/*
 * vmaccel/vmaccel.h - the whole public API of libvmaccel.
 */
#ifndef VMACCEL_VMACCEL_H
#define VMACCEL_VMACCEL_H

#include "common.h"
#include "topology.h"
#include "manager.h"
#include "vm.h"
#include "affinity.h"
#include "smmu.h"
#include "report.h"
#include "events.h"
#include "numa.h"

#endif /* VMACCEL_VMACCEL_H */
