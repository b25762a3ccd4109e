package vmaccel

import (
	"fmt"
	"sync"

	"github.com/vm-accel/vmaccel/bindings/go/internal/capi"
)

// VMOptions describe a VM for Attach and Register.
type VMOptions struct {
	Name     string      // "": the process name
	VCPUTIDs []int       // vCPU thread ids in vCPU order; nil: find by name (Attach)
	Memory   [][2]uint64 // guest RAM as {start, length}; nil: /proc/PID/maps (Attach)
}

func (o *VMOptions) toC() (capi.Vmaccel_vm_options, error) {
	c := capi.NewVmaccel_vm_options()
	if o == nil {
		return c, nil
	}
	if o.Name != "" {
		c.SetName(o.Name)
	}
	if o.VCPUTIDs != nil {
		tids := make([]uint32, len(o.VCPUTIDs))
		for i, t := range o.VCPUTIDs {
			tids[i] = uint32(t)
		}
		if err := call("VMOptions", func() int { return c.Set_vcpu_tids(tids) }); err != nil {
			capi.DeleteVmaccel_vm_options(c)
			return nil, err
		}
	}
	if o.Memory != nil {
		pairs := make([]uint64, 0, 2*len(o.Memory))
		for _, r := range o.Memory {
			pairs = append(pairs, r[0], r[1])
		}
		if err := call("VMOptions", func() int { return c.Set_memory(pairs) }); err != nil {
			capi.DeleteVmaccel_vm_options(c)
			return nil, err
		}
	}
	return c, nil
}

// VM is a VM handed to the manager; valid until Detach or the manager's Close.
type VM struct {
	mu sync.RWMutex // Detach excludes calls in flight
	h  capi.Struct_SS_vmaccel_vm
	m  *Manager
}

func (m *Manager) newVM(op string, f func(h capi.Struct_SS_vmaccel_manager, o capi.Vmaccel_vm_options, p *uintptr) int, opts *VMOptions) (*VM, error) {
	o, err := opts.toC()
	if err != nil {
		return nil, err
	}
	defer capi.DeleteVmaccel_vm_options(o)
	var p uintptr
	if err := m.do(op, func(h capi.Struct_SS_vmaccel_manager) int { return f(h, o, &p) }); err != nil {
		return nil, err
	}
	return &VM{h: capi.SwigcptrStruct_SS_vmaccel_vm(p), m: m}, nil
}

// Attach attaches the running VMM process pid.
func (m *Manager) Attach(pid int, opts *VMOptions) (*VM, error) {
	return m.newVM("Attach", func(h capi.Struct_SS_vmaccel_manager, o capi.Vmaccel_vm_options, p *uintptr) int {
		return capi.Vmaccel_vm_attach_pid(h, pid, o, p)
	}, opts)
}

// Register registers a VM run by this process (opts.VCPUTIDs required).
func (m *Manager) Register(opts *VMOptions) (*VM, error) {
	return m.newVM("Register", capi.Vmaccel_vm_register, opts)
}

func (v *VM) do(op string, f func(h capi.Struct_SS_vmaccel_vm) int) error {
	v.mu.RLock()
	defer v.mu.RUnlock()
	v.m.mu.RLock()
	defer v.m.mu.RUnlock()
	if v.m.h == nil || v.h == nil {
		return ErrClosed
	}
	return call(op, func() int { return f(v.h) })
}

// Detach forgets the VM (call RestoreAffinity first to undo pinning).
// Idempotent; a no-op once the manager is closed (it detached every VM).
func (v *VM) Detach() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.m.mu.RLock()
	defer v.m.mu.RUnlock()
	if v.m.h != nil && v.h != nil {
		capi.Vmaccel_vm_detach(v.h)
	}
	v.h = nil
	return nil
}

// Refresh re-checks the process and threads (ErrGone once the VM exited).
func (v *VM) Refresh() error { return v.do("Refresh", capi.Vmaccel_vm_refresh) }

// VMInfo describes a VM.
type VMInfo struct {
	ID            uint64
	PID           int
	InProcess     bool
	Gone          bool
	VMM           int // VMACCEL_VMM_*: 0 explicit, 1 QEMU, 2 cloud-hypervisor, 3 Firecracker, 4 crosvm
	VCPUCount     uint
	MemoryRegions uint
	MemoryBytes   uint64
	Name          string
}

// Info describes the VM.
func (v *VM) Info() (VMInfo, error) {
	i := capi.NewVmaccel_vm_info()
	defer capi.DeleteVmaccel_vm_info(i)
	err := v.do("Info", func(h capi.Struct_SS_vmaccel_vm) int { return capi.Vmaccel_vm_info_get(h, i) })
	return VMInfo{i.GetId(), i.GetPid(), i.GetIn_process() != 0, i.GetGone() != 0, int(i.GetVmm()),
		i.GetVcpu_count(), i.GetMemory_regions(), i.GetMemory_bytes(), i.GetName()}, err
}

// VCPUInfo describes one vCPU and the outcome of the last pin.
type VCPUInfo struct {
	Index       uint
	TID         int
	Gone        bool
	LastCPU     int // -1 if unknown
	PlannedCPU  int // -1 if never pinned
	PlannedNode uint
	Result      int // 0 or the VMACCEL_E* code of the last pin/restore
	Pinned      bool
	ThreadName  string
}

// VCPU describes vCPU index.
func (v *VM) VCPU(index uint) (VCPUInfo, error) {
	i := capi.NewVmaccel_vcpu_info()
	defer capi.DeleteVmaccel_vcpu_info(i)
	err := v.do("VCPU", func(h capi.Struct_SS_vmaccel_vm) int { return capi.Vmaccel_vm_vcpu(h, index, i) })
	return VCPUInfo{i.GetIndex(), i.GetTid(), i.GetGone() != 0, i.GetLast_cpu(), i.GetPlanned_cpu(),
		i.GetPlanned_node(), i.GetResult(), i.GetPinned() != 0, i.GetThread_name()}, err
}

// VCPUAllowedCPUs is the live affinity of vCPU index's thread.
func (v *VM) VCPUAllowedCPUs(index uint) ([]uint32, error) {
	return fill(func(buf []uint32, n *uint64) error {
		return v.do("VCPUAllowedCPUs", func(h capi.Struct_SS_vmaccel_vm) int {
			return capi.Vmaccel_vm_vcpu_allowed_cpus(h, index, buf, n)
		})
	})
}

// PinOptions configure Pin; the zero value is LocalFirst, SMT spread, all vCPUs.
type PinOptions struct {
	Strategy     Strategy
	SMT          SMTPolicy
	ReservedCPUs string
	VCPUCount    uint
	DryRun       bool
	Nice         *int        // nil: leave nice alone
	Sched        SchedPolicy // SchedUnchanged: leave the policy alone
	RTPriority   int         // 1..99 with SchedFIFO/SchedRR
}

// Pin plans the VM on the manager's topology and pins each vCPU thread.
func (v *VM) Pin(opts PinOptions) error {
	o := opts.toC()
	defer capi.DeleteVmaccel_pin_options(o)
	return v.do("Pin", func(h capi.Struct_SS_vmaccel_vm) int { return capi.Vmaccel_vm_pin(h, o) })
}

// CaptureAffinityState reads the originals of the threads Pin(opts) would
// change, without changing any, and returns AffinityState: store it before
// calling Pin, so that a crash mid-pin loses nothing.
func (v *VM) CaptureAffinityState(opts PinOptions) ([]byte, error) {
	o := opts.toC()
	defer capi.DeleteVmaccel_pin_options(o)
	err := v.do("CaptureAffinityState", func(h capi.Struct_SS_vmaccel_vm) int {
		return capi.Vmaccel_vm_affinity_state_capture(h, o)
	})
	if err != nil {
		return nil, err
	}
	return v.AffinityState()
}

// toC makes the C options; the caller deletes them.
func (opts PinOptions) toC() capi.Vmaccel_pin_options {
	o := capi.NewVmaccel_pin_options()
	o.SetStrategy(capi.Enum_SS_vmaccel_strategy(opts.Strategy))
	o.SetSmt(capi.Enum_SS_vmaccel_smt_policy(opts.SMT))
	if opts.ReservedCPUs != "" {
		o.SetReserved_cpus(opts.ReservedCPUs)
	}
	o.SetVcpu_count(opts.VCPUCount)
	if opts.DryRun {
		o.SetDry_run(1)
	}
	if opts.Nice != nil {
		o.SetSet_nice(1)
		o.SetNice(*opts.Nice)
	}
	o.SetSched(capi.Enum_SS_vmaccel_sched_policy(opts.Sched))
	o.SetRt_priority(opts.RTPriority)
	return o
}

// ConfigureAffinity is the seed's configure_vcpu_affinity(n).
func (v *VM) ConfigureAffinity(vcpuCount uint, s Strategy) error {
	return v.do("ConfigureAffinity", func(h capi.Struct_SS_vmaccel_vm) int {
		return capi.Vmaccel_vm_configure_affinity(h, vcpuCount, capi.Enum_SS_vmaccel_strategy(s))
	})
}

// RestoreAffinity gives every thread vmaccel changed its saved settings back.
func (v *VM) RestoreAffinity() error {
	return v.do("RestoreAffinity", capi.Vmaccel_vm_restore_affinity)
}

// MemoryRegion is one range of a VM's guest RAM.
type MemoryRegion struct {
	Start, Length uint64
	Name          string // the mapping's name in /proc/PID/maps, or ""
}

// MemoryRegions lists the VM's guest RAM.
func (v *VM) MemoryRegions() ([]MemoryRegion, error) {
	info, err := v.Info()
	if err != nil {
		return nil, err
	}
	out := make([]MemoryRegion, 0, info.MemoryRegions)
	for i := uint(0); i < info.MemoryRegions; i++ {
		r := capi.NewVmaccel_memory_region_info()
		err := v.do("MemoryRegions", func(h capi.Struct_SS_vmaccel_vm) int {
			return capi.Vmaccel_vm_memory_region(h, i, r)
		})
		out = append(out, MemoryRegion{r.GetStart(), r.GetLength(), r.GetName()})
		capi.DeleteVmaccel_memory_region_info(r)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// NUMACell is one guest NUMA node: its vCPU indices and guest RAM.
type NUMACell struct {
	VCPUs  []uint
	Memory []MemoryRegion // Start and Length; Name is not used
}

// SetNUMACells sets the VM's guest NUMA nodes (none: the VM is one
// client): the NUMA engine places each node's vCPUs next to its memory.
// Every vCPU must be in exactly one cell.
func (v *VM) SetNUMACells(cells []NUMACell) error {
	info, err := v.Info()
	if err != nil {
		return err
	}
	// The flat form cannot say "in two cells" or "in none": checked here.
	cellOf := make([]uint32, info.VCPUCount)
	seen := make([]bool, info.VCPUCount)
	var triples []uint64
	for node, c := range cells {
		for _, vcpu := range c.VCPUs {
			if vcpu >= info.VCPUCount || seen[vcpu] {
				return &Error{Code: codeInvalid, Op: "SetNUMACells",
					Message: fmt.Sprintf("cell %d: vCPU %d is not a vCPU of the VM or is in two cells", node, vcpu)}
			}
			seen[vcpu], cellOf[vcpu] = true, uint32(node)
		}
		for _, m := range c.Memory {
			triples = append(triples, uint64(node), m.Start, m.Length)
		}
	}
	for i, ok := range seen {
		if len(cells) > 0 && !ok {
			return &Error{Code: codeInvalid, Op: "SetNUMACells", Message: fmt.Sprintf("vCPU %d is in no cell", i)}
		}
	}
	if len(cells) == 0 {
		cellOf = nil
	}
	return v.do("SetNUMACells", func(h capi.Struct_SS_vmaccel_vm) int {
		return capi.Va_swig_vm_set_numa_cells(h, cellOf, triples)
	})
}

// NUMACells says how many guest NUMA nodes the VM has (read from a QEMU's
// command line at attach, or set by SetNUMACells) and where from.
func (v *VM) NUMACells() (count uint, source string, err error) {
	var n uint32
	err = v.do("NUMACells", func(h capi.Struct_SS_vmaccel_vm) int {
		return capi.Vmaccel_vm_numa_cells(h, &n, &source)
	})
	return uint(n), source, err
}

// AffinityState returns the saved original affinities of the threads
// vmaccel changed, as JSON, so another process (or a restarted one) can
// LoadAffinityState and RestoreAffinity.
func (v *VM) AffinityState() ([]byte, error) {
	var b []byte
	err := v.do("AffinityState", func(h capi.Struct_SS_vmaccel_vm) int {
		return capi.Vmaccel_vm_affinity_state(h, &b)
	})
	return b, err
}

// LoadAffinityState loads originals saved by AffinityState (ErrState when
// they belong to another process, ErrParse when malformed).
func (v *VM) LoadAffinityState(state []byte) error {
	return v.do("LoadAffinityState", func(h capi.Struct_SS_vmaccel_vm) int {
		return capi.Vmaccel_vm_affinity_state_load(h, string(state))
	})
}
