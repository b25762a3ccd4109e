package vmaccel

import (
	"runtime"
	"sync"

	"github.com/vm-accel/vmaccel/bindings/go/internal/capi"
	"github.com/vm-accel/vmaccel/bindings/go/vmaccelpb"
	"google.golang.org/protobuf/proto"
)

// Topology is a topology snapshot (read-only; any goroutine). A manager's
// (Manager.Topology) is borrowed: its methods return ErrClosed once the
// manager is closed. One from LoadTopology is owned: Close frees it.
type Topology struct {
	h     capi.Struct_SS_vmaccel_topology
	owner *Manager     // the lender, or nil when owned
	mu    sync.RWMutex // owned: Close waits for calls in flight
}

// TopologyOptions select what LoadTopology loads; the zero value is the
// live host.
type TopologyOptions struct {
	Synthetic   string // hwloc synthetic topology, e.g. "pack:2 numa:2 core:4 pu:2"
	XML         string // hwloc XML topology file
	AllowedCPUs string // a Linux cpulist playing the process's cpuset
}

func (o *TopologyOptions) toC() capi.Vmaccel_topology_options {
	to := capi.NewVmaccel_topology_options()
	if o.Synthetic != "" {
		to.SetSource(capi.VMACCEL_TOPOLOGY_SYNTHETIC)
		to.SetSynthetic(o.Synthetic)
	} else if o.XML != "" {
		to.SetSource(capi.VMACCEL_TOPOLOGY_XML)
		to.SetPath(o.XML)
	}
	if o.AllowedCPUs != "" {
		to.SetAllowed_cpus(o.AllowedCPUs)
	}
	return to
}

// LoadTopology loads a topology without a manager (e.g. for NewPlan): the
// live host, an hwloc XML file or a synthetic description (nil: live).
func LoadTopology(opts *TopologyOptions) (*Topology, error) {
	if opts == nil {
		opts = &TopologyOptions{}
	}
	to := opts.toC()
	defer capi.DeleteVmaccel_topology_options(to)
	var p uintptr
	if err := call("LoadTopology", func() int { return capi.Vmaccel_topology_load(to, &p) }); err != nil {
		return nil, err
	}
	t := &Topology{h: capi.SwigcptrStruct_SS_vmaccel_topology(p)}
	runtime.SetFinalizer(t, (*Topology).Close)
	return t, nil
}

// Close frees a topology from LoadTopology (a no-op for a borrowed one).
// Idempotent.
func (t *Topology) Close() error {
	if t.owner != nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.h != nil {
		capi.Vmaccel_topology_free(t.h)
		t.h = nil
		runtime.SetFinalizer(t, nil)
	}
	return nil
}

func (t *Topology) do(op string, f func(h capi.Struct_SS_vmaccel_topology) int) error {
	if t.owner != nil {
		return t.owner.do(op, func(capi.Struct_SS_vmaccel_manager) int { return f(t.h) })
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.h == nil {
		return ErrClosed
	}
	return call(op, func() int { return f(t.h) })
}

// Count returns the number of objects of a kind.
func (t *Topology) Count(kind ObjectKind) (uint, error) {
	var n uint32
	err := t.do("Count", func(h capi.Struct_SS_vmaccel_topology) int {
		return capi.Vmaccel_topology_count(h, capi.Enum_SS_vmaccel_object_kind(kind), &n)
	})
	return uint(n), err
}

// NoIndex marks a missing cache level in PU.
const NoIndex = ^uint(0) >> 32

// PU describes one processing unit (logical index Index).
type PU struct {
	Index, OSIndex, Core, Package, NUMANode uint
	L1, L2, L3                              uint // NoIndex when absent
	Allowed                                 bool
}

// PU describes PU number index (logical).
func (t *Topology) PU(index uint) (PU, error) {
	info := capi.NewVmaccel_pu_info()
	defer capi.DeleteVmaccel_pu_info(info)
	err := t.do("PU", func(h capi.Struct_SS_vmaccel_topology) int {
		return capi.Vmaccel_topology_pu(h, index, info)
	})
	return PU{index, info.GetOs_index(), info.GetCore(), info.GetPackage(), info.GetNuma_node(),
		info.GetL1(), info.GetL2(), info.GetL3(), info.GetAllowed() != 0}, err
}

// Distance is the SLIT distance between two NUMA nodes (10 = local).
func (t *Topology) Distance(from, to uint) (uint, error) {
	var d uint32
	err := t.do("Distance", func(h capi.Struct_SS_vmaccel_topology) int {
		return capi.Vmaccel_topology_distance(h, from, to, &d)
	})
	return uint(d), err
}

// fill runs a "fill up to cap, report the count" call twice when needed.
func fill(f func(buf []uint32, count *uint64) error) ([]uint32, error) {
	var n uint64
	if err := f(nil, &n); err != nil {
		return nil, err
	}
	buf := make([]uint32, n)
	if err := f(buf, &n); err != nil {
		return nil, err
	}
	return buf[:min(uint64(len(buf)), n)], nil
}

// ObjectCPUs returns the OS CPU numbers inside object index of kind.
func (t *Topology) ObjectCPUs(kind ObjectKind, index uint) ([]uint32, error) {
	return fill(func(buf []uint32, n *uint64) error {
		return t.do("ObjectCPUs", func(h capi.Struct_SS_vmaccel_topology) int {
			return capi.Vmaccel_topology_object_cpus(h, capi.Enum_SS_vmaccel_object_kind(kind), index, buf, n)
		})
	})
}

// AllowedCPUs returns the OS CPU numbers this process may use.
func (t *Topology) AllowedCPUs() ([]uint32, error) {
	return fill(func(buf []uint32, n *uint64) error {
		return t.do("AllowedCPUs", func(h capi.Struct_SS_vmaccel_topology) int {
			return capi.Vmaccel_topology_allowed_cpus(h, buf, n)
		})
	})
}

// Report returns the topology as a decoded vmaccel.v1.Topology.
func (t *Topology) Report() (*vmaccelpb.Topology, error) {
	var b []byte
	err := t.do("Report", func(h capi.Struct_SS_vmaccel_topology) int {
		return capi.Vmaccel_topology_report(h, capi.VMACCEL_FORMAT_PROTOBUF, &b)
	})
	if err != nil {
		return nil, err
	}
	r := &vmaccelpb.Topology{}
	return r, proto.Unmarshal(b, r)
}

// NUMANodeInfo describes one NUMA node (logical index Index).
type NUMANodeInfo struct {
	Index, OSIndex uint
	MemoryBytes    uint64 // local memory, 0 if unknown
	PUCount        uint
}

// NUMANode describes NUMA node index (logical).
func (t *Topology) NUMANode(index uint) (NUMANodeInfo, error) {
	info := capi.NewVmaccel_numa_node_info()
	defer capi.DeleteVmaccel_numa_node_info(info)
	err := t.do("NUMANode", func(h capi.Struct_SS_vmaccel_topology) int {
		return capi.Vmaccel_topology_numa_node(h, index, info)
	})
	return NUMANodeInfo{index, info.GetOs_index(), info.GetMemory_bytes(), info.GetPu_count()}, err
}

// NUMANodes describes every NUMA node.
func (t *Topology) NUMANodes() ([]NUMANodeInfo, error) {
	n, err := t.Count(ObjNUMANode)
	if err != nil {
		return nil, err
	}
	out := make([]NUMANodeInfo, n)
	for i := range out {
		if out[i], err = t.NUMANode(uint(i)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CacheInfo describes one cache (index Index of its kind).
type CacheInfo struct {
	Level, Index uint
	SizeBytes    uint64 // 0 if unknown
	LineSize     uint   // 0 if unknown
	PUCount      uint   // PUs sharing it
}

// Cache describes cache index of kind (ObjL1Cache, ObjL2Cache, ObjL3Cache).
func (t *Topology) Cache(kind ObjectKind, index uint) (CacheInfo, error) {
	info := capi.NewVmaccel_cache_info()
	defer capi.DeleteVmaccel_cache_info(info)
	err := t.do("Cache", func(h capi.Struct_SS_vmaccel_topology) int {
		return capi.Vmaccel_topology_cache(h, capi.Enum_SS_vmaccel_object_kind(kind), index, info)
	})
	return CacheInfo{info.GetLevel(), index, info.GetSize_bytes(), info.GetLine_size(), info.GetPu_count()}, err
}
