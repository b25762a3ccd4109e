package vmaccel

import (
	"sync"
	"unsafe"

	"github.com/vm-accel/vmaccel/bindings/go/internal/capi"
)

// NUMAOptions configure the NUMA engine (vmaccel_numa_options). As in C, a
// zero field means the library's default: Interval 1000 ms, Threshold 0.8,
// Hysteresis 0.05, TriggerSamples 3, CooldownSamples 5, MigrateMBPerS 256,
// SampleError 0.02, Fix NUMAFixCheaper.
type NUMAOptions struct {
	IntervalMS      uint    // sampling period in milliseconds (at most one hour)
	Threshold       float64 // act below this local access rate (0..1)
	Hysteresis      float64 // re-arm at Threshold + this (0..1)
	TriggerSamples  uint    // consecutive low periods before acting
	CooldownSamples uint    // periods between two actions on a VM
	MigrateMBPerS   uint    // memory migration budget
	SampleError     float64 // placement estimate error (0..0.5)
	Fix             NUMAFix // which fixes the engine may choose
	DryRun          bool    // decide and report, change nothing
	MigrateWorkers  uint    // threads migrating side by side; 0: half the PUs (1..8)
	MigrateWhole    bool    // a VM's whole memory in one migrate_pages(2) call
	OverridePins    bool    // also move vCPUs and memory the operator placed
	// MigrateStopVCPUs pauses a VM's vCPU threads while each window (up to
	// 16 MiB) of its memory moves: faster migrations of busy VMs (Linux,
	// ptrace permission).
	MigrateStopVCPUs bool
}

// ConfigureNUMA sets the engine's options (nil: every default). They take
// effect at the next period. ErrInvalid for out-of-range values.
func (m *Manager) ConfigureNUMA(opts *NUMAOptions) error {
	if opts == nil {
		opts = &NUMAOptions{}
	}
	o := capi.NewVmaccel_numa_options()
	defer capi.DeleteVmaccel_numa_options(o)
	o.SetInterval_ms(opts.IntervalMS)
	o.SetThreshold(opts.Threshold)
	o.SetHysteresis(opts.Hysteresis)
	o.SetTrigger_samples(opts.TriggerSamples)
	o.SetCooldown_samples(opts.CooldownSamples)
	o.SetMigrate_mb_per_s(opts.MigrateMBPerS)
	o.SetSample_error(opts.SampleError)
	o.SetFix(capi.Enum_SS_vmaccel_numa_fix(opts.Fix))
	if opts.DryRun {
		o.SetDry_run(1)
	}
	o.SetMigrate_workers(opts.MigrateWorkers)
	if opts.MigrateWhole {
		o.SetMigrate_whole(1)
	}
	if opts.OverridePins {
		o.SetOverride_pins(1)
	}
	if opts.MigrateStopVCPUs {
		o.SetMigrate_stop_vcpus(1)
	}
	return m.do("ConfigureNUMA", func(h capi.Struct_SS_vmaccel_manager) int {
		return capi.Vmaccel_manager_configure_numa(h, o)
	})
}

// NUMATick runs one engine period now on the calling goroutine (sampling,
// deciding, acting), whether or not the loop runs. ErrState while NUMA
// balancing is off.
func (m *Manager) NUMATick() error {
	return m.do("NUMATick", capi.Vmaccel_manager_numa_tick)
}

// Locality is the NUMA engine's latest view of a VM (vmaccel_locality_info).
type Locality struct {
	Source           LocalitySource
	LocalRate        float64 // 0..1; meaningful when Source != LocalityNone
	HomeNode         uint    // logical node holding most of the VM's RAM
	Samples          uint64  // engine periods that observed the VM
	VCPUMoves        uint64  // fixes applied by moving vCPUs
	MemoryMigrations uint64  // fixes applied by migrating memory
	PagesMigrated    uint64
	Failures         uint64 // fixes that failed
}

// Locality returns the engine's view of the VM; ErrNotFound until an
// engine period (the loop or NUMATick) has observed it.
func (v *VM) Locality() (*Locality, error) {
	i := capi.NewVmaccel_locality_info()
	defer capi.DeleteVmaccel_locality_info(i)
	err := v.do("Locality", func(h capi.Struct_SS_vmaccel_vm) int { return capi.Vmaccel_vm_locality(h, i) })
	if err != nil {
		return nil, err
	}
	return &Locality{LocalitySource(i.GetSource()), i.GetLocal_rate(), i.GetHome_node(),
		i.GetSamples(), i.GetVcpu_moves(), i.GetMemory_migrations(), i.GetPages_migrated(),
		i.GetFailures()}, nil
}

// NUMA allocations handed out, keyed by the address of their last byte
// (which reslicing from the front keeps), so NUMAFree can find the
// original pointer and size of any slice of one.
var numaAllocs struct {
	sync.Mutex
	m map[*byte][]byte
}

// NUMAAlloc returns size bytes of zeroed memory placed by policy (node is
// the logical node for AllocOnNode), e.g. an in-process VMM's guest RAM.
// The memory is not Go's: release it with NUMAFree, and pass its address
// to the OS (KVM memory slots, VMOptions.Memory) as &b[0].
func (m *Manager) NUMAAlloc(size int, policy AllocPolicy, node uint) ([]byte, error) {
	if size <= 0 {
		return nil, &Error{Code: codeInvalid, Op: "NUMAAlloc", Message: "size must be positive"}
	}
	var p uintptr
	err := m.do("NUMAAlloc", func(h capi.Struct_SS_vmaccel_manager) int {
		return capi.Vmaccel_numa_alloc(h, int64(size), capi.Enum_SS_vmaccel_alloc_policy(policy), node, &p)
	})
	if err != nil {
		return nil, err
	}
	// The memory comes from mmap inside libnuma, not from C's heap or
	// Go's: the Go garbage collector never scans or moves it. (The address
	// arrives as a uintptr through the SWIG out-parameter; reading it as
	// an unsafe.Pointer is sound for memory Go does not manage.)
	ptr := *(*unsafe.Pointer)(unsafe.Pointer(&p))
	b := unsafe.Slice((*byte)(ptr), size)
	numaAllocs.Lock()
	if numaAllocs.m == nil {
		numaAllocs.m = make(map[*byte][]byte)
	}
	numaAllocs.m[&b[len(b)-1]] = b
	numaAllocs.Unlock()
	return b, nil
}

// NUMAFree releases memory from NUMAAlloc (b may be any slice of it that
// reaches its end). ErrInvalid for anything else, or a second free.
func NUMAFree(b []byte) error {
	if cap(b) == 0 {
		return &Error{Code: codeInvalid, Op: "NUMAFree", Message: "empty slice"}
	}
	b = b[:cap(b)]
	key := &b[len(b)-1]
	numaAllocs.Lock()
	orig, ok := numaAllocs.m[key]
	delete(numaAllocs.m, key)
	numaAllocs.Unlock()
	if !ok {
		return &Error{Code: codeInvalid, Op: "NUMAFree", Message: "not memory from NUMAAlloc, or freed already"}
	}
	capi.Vmaccel_numa_free(uintptr(unsafe.Pointer(&orig[0])), int64(len(orig)))
	return nil
}
