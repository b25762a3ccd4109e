package vmaccel

import "fmt"

// Enumerations of the C API, as Go constants (C enum values are stable by
// contract; TestEnumsMatchLibrary checks every one against the library).

// Format of a report.
type Format int

const (
	FormatProtobuf Format = 0
	FormatText     Format = 1
	FormatJSON     Format = 2
)

// ObjectKind names a kind of topology object.
type ObjectKind int

const (
	ObjPackage  ObjectKind = 0
	ObjNUMANode ObjectKind = 1
	ObjCore     ObjectKind = 2
	ObjPU       ObjectKind = 3
	ObjL1Cache  ObjectKind = 4
	ObjL2Cache  ObjectKind = 5
	ObjL3Cache  ObjectKind = 6
)

// Component of a manager.
type Component int

const (
	ComponentSMMU         Component = 0
	ComponentVCPUAffinity Component = 1
	ComponentNUMA         Component = 2
)

func (c Component) String() string {
	switch c {
	case ComponentSMMU:
		return "smmu"
	case ComponentVCPUAffinity:
		return "vcpu_affinity"
	case ComponentNUMA:
		return "numa"
	}
	return fmt.Sprintf("component(%d)", int(c))
}

// Components lists every component of this library version.
var Components = []Component{ComponentSMMU, ComponentVCPUAffinity, ComponentNUMA}

// ComponentState says whether a component is on.
type ComponentState int

const (
	ComponentOff     ComponentState = 0
	ComponentOn      ComponentState = 1
	ComponentSkipped ComponentState = 2
)

func (s ComponentState) String() string {
	switch s {
	case ComponentOff:
		return "off"
	case ComponentOn:
		return "on"
	case ComponentSkipped:
		return "skipped"
	}
	return "unknown"
}

// Hypervisor kinds the manager probes.
type Hypervisor int

const (
	HypervisorKVM  Hypervisor = 0
	HypervisorHVF  Hypervisor = 1
	HypervisorWHPX Hypervisor = 2
)

// HvStatus is a hypervisor probe's verdict.
type HvStatus int

const (
	HvAvailable     HvStatus = 0
	HvUnavailable   HvStatus = 1
	HvNotApplicable HvStatus = 2
)

// IOMMUKind is the kind of the host's first IOMMU unit.
type IOMMUKind int

const (
	IOMMUNone     IOMMUKind = 0
	IOMMUSMMUv3   IOMMUKind = 1
	IOMMUIntelVTd IOMMUKind = 2
	IOMMUAMDVi    IOMMUKind = 3
	IOMMUOther    IOMMUKind = 4
)

// NUMAFix says which fixes the NUMA engine may apply.
type NUMAFix int

const (
	NUMAFixCheaper       NUMAFix = 0 // whichever costs less (default)
	NUMAFixMoveVCPUs     NUMAFix = 1 // only move vCPUs to their memory
	NUMAFixMigrateMemory NUMAFix = 2 // only migrate memory to the vCPUs
)

func (f NUMAFix) String() string {
	switch f {
	case NUMAFixCheaper:
		return "cheaper"
	case NUMAFixMoveVCPUs:
		return "move-vcpus"
	case NUMAFixMigrateMemory:
		return "migrate-memory"
	}
	return fmt.Sprintf("numa_fix(%d)", int(f))
}

// LocalitySource says where a VM's local access rate comes from.
type LocalitySource int

const (
	LocalityNone          LocalitySource = 0 // not measured yet
	LocalityNUMAFaults    LocalitySource = 1 // the kernel's NUMA fault counters
	LocalityPagePlacement LocalitySource = 2 // runtime-weighted page placement
)

func (s LocalitySource) String() string {
	switch s {
	case LocalityNone:
		return "none"
	case LocalityNUMAFaults:
		return "numa_faults"
	case LocalityPagePlacement:
		return "page_placement"
	}
	return fmt.Sprintf("locality_source(%d)", int(s))
}

// AllocPolicy places memory from NUMAAlloc.
type AllocPolicy int

const (
	AllocLocal      AllocPolicy = 0 // on the node of the calling CPU
	AllocOnNode     AllocPolicy = 1 // bound to one logical node
	AllocInterleave AllocPolicy = 2 // pages round-robin over all nodes
)

// SchedPolicy is the scheduling policy Pin gives vCPU threads.
type SchedPolicy int

const (
	SchedUnchanged SchedPolicy = 0 // leave the threads' policy alone
	SchedOther     SchedPolicy = 1 // the normal time-sharing policy
	SchedFIFO      SchedPolicy = 2 // real-time; needs CAP_SYS_NICE
	SchedRR        SchedPolicy = 3 // real-time; needs CAP_SYS_NICE
)

// Origin says where a vCPU's limit or the operator's placement comes from.
type Origin int

const (
	OriginNone     Origin = 0 // nothing limits it / nobody placed it
	OriginCgroup   Origin = 1 // a cgroup cpuset (v1 or v2)
	OriginAffinity Origin = 2 // the thread's affinity mask (taskset)
	OriginLibvirt  Origin = 3 // the libvirt domain XML
	OriginQEMU     Origin = 4 // QEMU's own configuration (via QMP)
)

func (o Origin) String() string {
	switch o {
	case OriginNone:
		return "none"
	case OriginCgroup:
		return "cgroup"
	case OriginAffinity:
		return "affinity"
	case OriginLibvirt:
		return "libvirt"
	case OriginQEMU:
		return "qemu"
	}
	return fmt.Sprintf("origin(%d)", int(o))
}

// VMControl is the path vm-accel's actions on a VM take.
type VMControl int

const (
	ControlOS      VMControl = 0 // system calls on the threads
	ControlLibvirt VMControl = 1 // libvirt's API (its view stays true)
)

// VCPUDiscovery says how a VM's vCPU threads were found.
type VCPUDiscovery int

const (
	DiscoveryThreadNames    VCPUDiscovery = 0 // "CPU n/KVM", "vcpuN", ...
	DiscoveryExplicit       VCPUDiscovery = 1 // the caller's thread ids
	DiscoveryQMP            VCPUDiscovery = 2 // QMP query-cpus-fast on a socket
	DiscoveryLibvirtMonitor VCPUDiscovery = 3 // the same through libvirt's monitor
)
