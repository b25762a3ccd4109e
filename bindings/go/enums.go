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
