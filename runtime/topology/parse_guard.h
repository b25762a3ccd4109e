/* Internal: parsing outside topology input (an XML file, a synthetic
 * description with memory children) where a hwloc bug cannot take this
 * process down. linux_parse_guard.c parses it in a forked child first;
 * windows_parse_guard.c has no fork to do that with. */
#ifndef VA_TOPOLOGY_PARSE_GUARD_H
#define VA_TOPOLOGY_PARSE_GUARD_H

#include "vmaccel/topology.h"

/* 0 when this process may hand the input to hwloc; VMACCEL_EPARSE (with
 * a message) when hwloc rejects it or crashes on it; VMACCEL_EIO when the
 * check itself fails. */
int va_topology_parse_guard(const vmaccel_topology_options *o);

/* The error for a synthetic description hwloc refuses (hwloc_load.c). */
int va_topology_bad_synthetic(const char *desc);

#endif
