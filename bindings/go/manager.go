package vmaccel

import (
	"runtime"
	"sync"

	"github.com/vm-accel/vmaccel/bindings/go/internal/capi"
	"github.com/vm-accel/vmaccel/bindings/go/vmaccelpb"
	"google.golang.org/protobuf/proto"
)

// Options configure New. The zero value (or nil) means the live host.
type Options struct {
	Synthetic   string // hwloc synthetic topology, e.g. "pack:2 numa:2 core:4 pu:2"
	XML         string // hwloc XML topology file
	AllowedCPUs string // a Linux cpulist playing the process's cpuset
	// Roots of the OS trees the probes read; "" means the real one.
	SysfsRoot, DevfsRoot, DevicetreeRoot string
}

// Manager is the acceleration manager (vmaccel_manager). Its methods may be
// called from any goroutine; Close waits for calls in flight.
type Manager struct {
	mu sync.RWMutex
	h  capi.Struct_SS_vmaccel_manager // nil once closed

	keepMu   sync.Mutex
	smmuKeep smmuRefs // what the manager's SMMU model points into
}

// New creates a manager: it loads the topology and probes the host.
func New(opts *Options) (*Manager, error) {
	if opts == nil {
		opts = &Options{}
	}
	mo := capi.NewVmaccel_manager_options()
	defer capi.DeleteVmaccel_manager_options(mo)
	if opts.Synthetic != "" || opts.XML != "" || opts.AllowedCPUs != "" {
		to := (&TopologyOptions{opts.Synthetic, opts.XML, opts.AllowedCPUs}).toC()
		defer capi.DeleteVmaccel_topology_options(to)
		mo.SetTopology(to)
	}
	if opts.SysfsRoot != "" {
		mo.SetSysfs_root(opts.SysfsRoot)
	}
	if opts.DevfsRoot != "" {
		mo.SetDevfs_root(opts.DevfsRoot)
	}
	if opts.DevicetreeRoot != "" {
		mo.SetDevicetree_root(opts.DevicetreeRoot)
	}
	var p uintptr
	if err := call("New", func() int { return capi.Vmaccel_manager_new(mo, &p) }); err != nil {
		return nil, err
	}
	m := &Manager{h: capi.SwigcptrStruct_SS_vmaccel_manager(p)}
	runtime.SetFinalizer(m, (*Manager).Close)
	return m, nil
}

// Close frees the manager and everything it owns. Idempotent.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.h != nil {
		capi.Vmaccel_manager_free(m.h)
		m.h = nil
		runtime.SetFinalizer(m, nil)
	}
	return nil
}

// do runs f with the manager's handle, holding the read lock so Close
// cannot free the handle underneath.
func (m *Manager) do(op string, f func(h capi.Struct_SS_vmaccel_manager) int) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.h == nil {
		return ErrClosed
	}
	return call(op, func() int { return f(m.h) })
}

// SetupFull initialises every component the host supports; see Component.
func (m *Manager) SetupFull() error {
	return m.do("SetupFull", capi.Vmaccel_manager_setup_full)
}

// InitSMMU creates the SMMUv3 model. Idempotent.
func (m *Manager) InitSMMU() error { return m.do("InitSMMU", capi.Vmaccel_manager_init_smmu) }

// InitVCPUAffinity prepares vCPU placement. Idempotent.
func (m *Manager) InitVCPUAffinity() error {
	return m.do("InitVCPUAffinity", capi.Vmaccel_manager_init_vcpu_affinity)
}

// EnableNUMA turns NUMA balancing on; numaNodes must equal the topology's
// node count (ErrInvalid otherwise).
func (m *Manager) EnableNUMA(numaNodes uint) error {
	return m.do("EnableNUMA", func(h capi.Struct_SS_vmaccel_manager) int {
		return capi.Vmaccel_manager_enable_numa(h, numaNodes)
	})
}

// DisableNUMA turns NUMA balancing off. Idempotent.
func (m *Manager) DisableNUMA() error {
	return m.do("DisableNUMA", capi.Vmaccel_manager_disable_numa)
}

// ComponentStatus is a component's state and, when skipped, why.
type ComponentStatus struct {
	State  ComponentState
	Reason string
}

// Component reports one component's state.
func (m *Manager) Component(c Component) (ComponentStatus, error) {
	var state int32
	var reason string
	err := m.do("Component", func(h capi.Struct_SS_vmaccel_manager) int {
		return capi.Vmaccel_manager_component(h, capi.Enum_SS_vmaccel_component(c), &state, &reason)
	})
	return ComponentStatus{ComponentState(state), reason}, err
}

func (m *Manager) flag(op string, f func(capi.Struct_SS_vmaccel_manager, *int32) int) (bool, error) {
	var v int32
	err := m.do(op, func(h capi.Struct_SS_vmaccel_manager) int { return f(h, &v) })
	return v != 0, err
}

// NUMAEnabled tells whether NUMA balancing is on.
func (m *Manager) NUMAEnabled() (bool, error) {
	return m.flag("NUMAEnabled", capi.Vmaccel_manager_numa_enabled)
}

// SMMUInitialized tells whether the SMMUv3 model exists.
func (m *Manager) SMMUInitialized() (bool, error) {
	return m.flag("SMMUInitialized", capi.Vmaccel_manager_smmu_initialized)
}

// VCPUAffinityInitialized tells whether vCPU affinity is ready.
func (m *Manager) VCPUAffinityInitialized() (bool, error) {
	return m.flag("VCPUAffinityInitialized", capi.Vmaccel_manager_vcpu_affinity_initialized)
}

// Topology returns the manager's topology, valid until Close.
func (m *Manager) Topology() (*Topology, error) {
	var p uintptr
	err := m.do("Topology", func(h capi.Struct_SS_vmaccel_manager) int {
		return capi.Vmaccel_manager_topology(h, &p)
	})
	if err != nil {
		return nil, err
	}
	return &Topology{h: capi.SwigcptrStruct_SS_vmaccel_topology(p), owner: m}, nil
}

// HypervisorInfo is one hypervisor probe's result.
type HypervisorInfo struct {
	Kind             Hypervisor
	Status           HvStatus
	APIVersion       int
	MaxVCPUs         uint
	RecommendedVCPUs uint
	Reason           string
}

// Hypervisor returns the probe result for one hypervisor.
func (m *Manager) Hypervisor(kind Hypervisor) (HypervisorInfo, error) {
	info := capi.NewVmaccel_hv_info()
	defer capi.DeleteVmaccel_hv_info(info)
	err := m.do("Hypervisor", func(h capi.Struct_SS_vmaccel_manager) int {
		return capi.Vmaccel_manager_hypervisor(h, capi.Enum_SS_vmaccel_hypervisor(kind), info)
	})
	if err != nil {
		return HypervisorInfo{}, err
	}
	return HypervisorInfo{kind, HvStatus(info.GetStatus()), info.GetApi_version(),
		info.GetMax_vcpus(), info.GetRecommended_vcpus(), info.GetReason()}, nil
}

// IOMMUInfo is the host IOMMU probe's result.
type IOMMUInfo struct {
	Present       bool
	Kind          IOMMUKind
	Units, Groups uint
	DTSMMUv3Nodes uint
	Reason        string
}

// IOMMU returns the host IOMMU probe's result.
func (m *Manager) IOMMU() (IOMMUInfo, error) {
	info := capi.NewVmaccel_iommu_info()
	defer capi.DeleteVmaccel_iommu_info(info)
	err := m.do("IOMMU", func(h capi.Struct_SS_vmaccel_manager) int {
		return capi.Vmaccel_manager_iommu(h, info)
	})
	if err != nil {
		return IOMMUInfo{}, err
	}
	return IOMMUInfo{info.GetPresent() != 0, IOMMUKind(info.GetKind()), info.GetUnits(),
		info.GetGroups(), info.GetDt_smmuv3_nodes(), info.GetReason()}, nil
}

// ReportBytes returns the diagnostic report encoded in format.
func (m *Manager) ReportBytes(format Format) ([]byte, error) {
	var b []byte
	err := m.do("Report", func(h capi.Struct_SS_vmaccel_manager) int {
		return capi.Vmaccel_manager_report(h, capi.Enum_SS_vmaccel_format(format), &b)
	})
	return b, err
}

// Report returns the decoded vmaccel.v1.DiagnosticReport.
func (m *Manager) Report() (*vmaccelpb.DiagnosticReport, error) {
	b, err := m.ReportBytes(FormatProtobuf)
	if err != nil {
		return nil, err
	}
	r := &vmaccelpb.DiagnosticReport{}
	if err := proto.Unmarshal(b, r); err != nil {
		return nil, err
	}
	return r, nil
}

// Version is the loaded library's "MAJOR.MINOR.PATCH".
func Version() string { return capi.Vmaccel_version() }

// VersionNumber is the loaded library's version as MAJOR*10000+MINOR*100+PATCH.
func VersionNumber() uint { return capi.Vmaccel_version_number() }
