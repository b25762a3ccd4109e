/* Internal: the Topology message of a topology snapshot. */
#ifndef VA_REPORT_TOPOLOGY_REPORT_H
#define VA_REPORT_TOPOLOGY_REPORT_H

#include "report/arena.h"
#include "topology/topo.h"
#include "vmaccel.pb-c.h"

/* A Topology message allocated in `a`; NULL when out of memory. */
Vmaccel__V1__Topology *va_report_topology(const vmaccel_topology *t, va_arena *a);

#endif
