/*
 * Internal: libvirt-managed VMs.
 *
 * A VM under libvirt control gets a platform of its own (vm->own_plat,
 * vmm/libvirt/platform.c): it forwards every read to linux.c, and acts
 * through libvirt where libvirt keeps a view of its own - vCPU affinity
 * with virDomainPinVcpuFlags(VIR_DOMAIN_AFFECT_LIVE) (tid -> vCPU index),
 * page moves that need libvirt's memory policy widened first with
 * virDomainSetNumaParameters - and reports libvirt's placement (vcpupin,
 * numatune, vm-accel's own pins recorded in the domain's metadata) through
 * managed_placement. Everything above the seam (vmaccel_vm_pin, restore,
 * the NUMA engine) acts through libvirt without knowing it.
 *
 * libvirt is optional: without it (the build found no libvirt with
 * pkg-config) these functions return VMACCEL_ENOTSUP with a message
 * (vmm/libvirt_off.c), except the detection, which only reads /proc.
 */
#ifndef VA_VMM_LIBVIRT_H
#define VA_VMM_LIBVIRT_H

#include "vmm/vm_internal.h"

/* Whether process `pid` is a libvirt domain's QEMU: its command line has
 * -uuid UUID (copied to uuid), and libvirt's pid file for its -name, its
 * cgroup's name or its parent (libvirtd, virtqemud) says libvirt started
 * it. Reads /proc and libvirt's run directory only (libvirt_detect.c). */
bool va_libvirt_looks_managed(const va_platform *p, int pid, char *uuid, size_t len);

/* The -uuid of a QEMU command line (NUL-separated arguments), into uuid. */
bool va_qemu_uuid(const char *cmdline, size_t len, char *uuid, size_t uuid_len);

/* Puts the VM (pidfd open, vCPUs not found yet) under libvirt at `uri`
 * (NULL: the default): finds the domain whose QEMU is vm->pid, sets
 * vm->plat to the VM's libvirt platform, vm->control and vm->domain. */
int va_libvirt_take_vm(vmaccel_vm *vm, const char *uri);

/* Tells the VM's libvirt platform which thread is which vCPU (after
 * discovery). */
int va_libvirt_bind_vcpus(vmaccel_vm *vm);

/* Finds the vCPU threads through libvirt's QEMU monitor passthrough
 * (query-cpus-fast), for a QEMU without thread names. */
int va_libvirt_find_vcpus(vmaccel_vm *vm);

#endif
