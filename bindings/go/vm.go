package vmaccel

import (
	"fmt"
	"strings"
	"sync"

	"github.com/vm-accel/vmaccel/bindings/go/internal/capi"
)

// VMOptions describe a VM for Attach and Register.
type VMOptions struct {
	Name     string      // "": the process name
	VCPUTIDs []int       // vCPU thread ids in vCPU order; nil: find by name (Attach)
	Memory   [][2]uint64 // guest RAM as {start, length}; nil: /proc/PID/maps (Attach)
	// QMPSocket: find the vCPU threads through this QEMU QMP socket
	// (query-cpus-fast), for a QEMU without thread names.
	QMPSocket string
	// LibvirtURI: act through libvirt at this URI ("": a libvirt domain's
	// QEMU is recognised and its default URI used). NoLibvirt: never.
	LibvirtURI string
	NoLibvirt  bool
}

func (o *VMOptions) toC() (capi.Vmaccel_vm_options, error) {
	c := capi.NewVmaccel_vm_options()
	if o == nil {
		return c, nil
	}
	if o.Name != "" {
		c.SetName(o.Name)
	}
	if o.QMPSocket != "" {
		c.SetQmp_socket(o.QMPSocket)
	}
	if o.LibvirtURI != "" {
		c.SetLibvirt_uri(o.LibvirtURI)
	} else if o.NoLibvirt {
		c.SetLibvirt_uri("")
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

// AttachQMP attaches the QEMU serving the QMP socket path (its vCPU threads
// from query-cpus-fast: no thread names needed).
func (m *Manager) AttachQMP(path string, opts *VMOptions) (*VM, error) {
	return m.newVM("AttachQMP", func(h capi.Struct_SS_vmaccel_manager, o capi.Vmaccel_vm_options, p *uintptr) int {
		return capi.Vmaccel_vm_attach_qmp(h, path, o, p)
	}, opts)
}

// AttachLibvirt attaches the running libvirt domain (a name or UUID) at uri
// ("": libvirt's default) and acts on it through libvirt. ErrNotSupported
// when libvmaccel was built without libvirt.
func (m *Manager) AttachLibvirt(uri, domain string, opts *VMOptions) (*VM, error) {
	return m.newVM("AttachLibvirt", func(h capi.Struct_SS_vmaccel_manager, o capi.Vmaccel_vm_options, p *uintptr) int {
		return capi.Vmaccel_vm_attach_libvirt(h, uri, domain, o, p)
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
	Discovery     VCPUDiscovery // how its vCPU threads were found
	Control       VMControl     // system calls, or through libvirt
	Domain        string        // the libvirt domain, or ""
	ControlNote   string        // why Control is what it is, when not obvious
}

// Info describes the VM.
func (v *VM) Info() (VMInfo, error) {
	i := capi.NewVmaccel_vm_info()
	defer capi.DeleteVmaccel_vm_info(i)
	err := v.do("Info", func(h capi.Struct_SS_vmaccel_vm) int { return capi.Vmaccel_vm_info_get(h, i) })
	return VMInfo{i.GetId(), i.GetPid(), i.GetIn_process() != 0, i.GetGone() != 0, int(i.GetVmm()),
		i.GetVcpu_count(), i.GetMemory_regions(), i.GetMemory_bytes(), i.GetName(),
		VCPUDiscovery(i.GetDiscovery()), VMControl(i.GetControl()), i.GetDomain(),
		i.GetControl_note()}, err
}

// VCPULimits say what limits a vCPU's thread and whether the operator
// placed it (vmaccel_vcpu_limits). CPU and node lists are cpulists ("0-3,8").
type VCPULimits struct {
	CPUs           string // its own cgroup's effective cpuset
	CPUsOrigin     Origin
	CPUsSource     string // "cgroup v1 cpuset /machine/.../vcpu0"
	Mems           string // memory nodes it may use; "" = any
	MemsSource     string
	OperatorPinned bool // left where it is unless PinOptions.OverridePins
	PinnedCPUs     string
	PinOrigin      Origin
	PinSource      string // "libvirt <vcpupin vcpu='0' cpuset='1'/>"
	MemoryPinned   bool   // the operator placed the VM's memory
	PinnedMems     string
	MemPinSource   string
	Kept           bool // the last pin left it to the operator
	Overrode       bool // ... or moved it despite its pin
	GuestNode      int  // guest NUMA node (QMP, libvirt cells), -1 if unknown
}

// VCPULimits describes what limits vCPU index, as read by the last attach,
// pin or Refresh.
func (v *VM) VCPULimits(index uint) (VCPULimits, error) {
	l := capi.NewVmaccel_vcpu_limits()
	defer capi.DeleteVmaccel_vcpu_limits(l)
	err := v.do("VCPULimits", func(h capi.Struct_SS_vmaccel_vm) int {
		return capi.Vmaccel_vm_vcpu_limits(h, index, l)
	})
	return VCPULimits{l.GetCpus(), Origin(l.GetCpus_origin()), l.GetCpus_source(), l.GetMems(),
		l.GetMems_source(), l.GetOperator_pinned() != 0, l.GetPinned_cpus(),
		Origin(l.GetPin_origin()), l.GetPin_source(), l.GetMemory_pinned() != 0,
		l.GetPinned_mems(), l.GetMem_pin_source(), l.GetKept() != 0, l.GetOverrode() != 0,
		l.GetGuest_node()}, err
}

// LibvirtDomains lists the UUIDs of the domains running at uri ("": libvirt's
// default). ErrNotSupported when libvmaccel was built without libvirt.
func LibvirtDomains(uri string) ([]string, error) {
	var b []byte
	if err := call("LibvirtDomains", func() int { return capi.Vmaccel_libvirt_domains(uri, &b) }); err != nil {
		return nil, err
	}
	return strings.Fields(string(b)), nil
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
	OverridePins bool        // also move vCPUs the operator placed
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
	if opts.OverridePins {
		o.SetOverride_pins(1)
	}
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
