// Package vmaccel is the Go binding of libvmaccel: vCPU placement, NUMA
// locality rebalancing and an SMMUv3 model for virtual machines.
//
// The C API is wrapped by SWIG from bindings/vmaccel.i (package
// internal/capi, built by `go build` through `pkg-config vmaccel`); this
// package is the idiomatic layer on top:
//
//	m, err := vmaccel.New(&vmaccel.Options{Synthetic: "pack:2 numa:2 core:4 pu:2"})
//	if err != nil { ... }
//	defer m.Close()
//	if err := m.EnableNUMA(3); errors.Is(err, vmaccel.ErrInvalid) { ... }
//	report, err := m.Report() // *vmaccelpb.DiagnosticReport
package vmaccel
