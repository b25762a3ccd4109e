package vmaccel

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/vm-accel/vmaccel/bindings/go/internal/capi"
)

// SMMUMode is how a stream translates.
type SMMUMode int

const (
	SMMUAbort  SMMUMode = 0
	SMMUBypass SMMUMode = 1
	SMMUS1     SMMUMode = 2
	SMMUS2     SMMUMode = 3
	SMMUNested SMMUMode = 4
)

// Access flags of a transaction (and the perm bits of a Translation).
type Access uint

const (
	AccessRead  Access = 1
	AccessWrite Access = 2
	AccessExec  Access = 4
	AccessPriv  Access = 8
)

// NoSSID marks a transaction without a SubstreamID.
const NoSSID = ^uint32(0)

// InvalScope selects what SMMU.Invalidate drops.
type InvalScope int

const (
	InvalAll   InvalScope = 0
	InvalVMID  InvalScope = 1
	InvalASID  InvalScope = 2
	InvalRange InvalScope = 3
)

// SMMU event numbers (SMMUv3 spec section 7.3) seen in faults.
const (
	EvtFTranslation = 0x10
	EvtFAddrSize    = 0x11
	EvtFAccess      = 0x12
	EvtFPermission  = 0x13
	EvtFWalkEABT    = 0x0b
	EvtCBadSTE      = 0x04
	EvtCBadCD       = 0x0a
	// ATS: a Translation Request where ATS is off; a Translated
	// transaction that CR0.ATSCHK (or SMMUEN == 0) refuses.
	EvtFBadATSTReq      = 0x05
	EvtFTranslForbidden = 0x07
)

// Domain is what an attached stream translates with; the fields follow the
// SMMUv3 CD (stage 1) and STE (stage 2) fields of the same names. Start
// from DefaultDomain, which has the C header's defaults.
type Domain struct {
	Mode                   SMMUMode
	S1TTB0, S1TTB1         uint64
	S1T0SZ, S1T1SZ         uint
	S1Granule0, S1Granule1 uint
	S1EPD0, S1EPD1         bool
	S1IPSBits              uint
	ASID                   uint16
	S1AFFD, S1WXN, S1PAN   bool
	S1HAD, EL2             bool
	S2TTB                  uint64
	S2T0SZ, S2SL0          uint
	S2Granule, S2PSBits    uint
	VMID                   uint16
	S2AFFD                 bool
	S1HA, S1HD             bool // CD.HA/HD: hardware Access flag / dirty updates
	S2HA, S2HD             bool // STE.S2HA/S2HD
	S1Stall, S2Stall       bool // CD.S, STE.S2S: faults stall (TranslateStallable)
	EATS                   uint // STE.EATS: 0 ATS off, 1 full ATS
}

// DefaultDomain returns VMACCEL_SMMU_DOMAIN_INIT with mode set.
func DefaultDomain(mode SMMUMode) Domain {
	d := capi.NewVmaccel_smmu_domain()
	defer capi.DeleteVmaccel_smmu_domain(d)
	return Domain{mode, d.GetS1_ttb0(), d.GetS1_ttb1(), d.GetS1_t0sz(), d.GetS1_t1sz(),
		d.GetS1_granule0(), d.GetS1_granule1(), d.GetS1_epd0(), d.GetS1_epd1(),
		d.GetS1_ips_bits(), d.GetAsid(), d.GetS1_affd(), d.GetS1_wxn(), d.GetS1_pan(),
		d.GetS1_had(), d.GetEl2(), d.GetS2_ttb(), d.GetS2_t0sz(), d.GetS2_sl0(),
		d.GetS2_granule(), d.GetS2_ps_bits(), d.GetVmid(), d.GetS2_affd(),
		d.GetS1_ha(), d.GetS1_hd(), d.GetS2_ha(), d.GetS2_hd(), d.GetS1_stall(),
		d.GetS2_stall(), d.GetEats()}
}

func (d *Domain) toC() capi.Vmaccel_smmu_domain {
	c := capi.NewVmaccel_smmu_domain()
	c.SetMode(capi.Enum_SS_vmaccel_smmu_mode(d.Mode))
	c.SetS1_ttb0(d.S1TTB0)
	c.SetS1_ttb1(d.S1TTB1)
	c.SetS1_t0sz(d.S1T0SZ)
	c.SetS1_t1sz(d.S1T1SZ)
	c.SetS1_granule0(d.S1Granule0)
	c.SetS1_granule1(d.S1Granule1)
	c.SetS1_epd0(d.S1EPD0)
	c.SetS1_epd1(d.S1EPD1)
	c.SetS1_ips_bits(d.S1IPSBits)
	c.SetAsid(d.ASID)
	c.SetS1_affd(d.S1AFFD)
	c.SetS1_wxn(d.S1WXN)
	c.SetS1_pan(d.S1PAN)
	c.SetS1_had(d.S1HAD)
	c.SetEl2(d.EL2)
	c.SetS2_ttb(d.S2TTB)
	c.SetS2_t0sz(d.S2T0SZ)
	c.SetS2_sl0(d.S2SL0)
	c.SetS2_granule(d.S2Granule)
	c.SetS2_ps_bits(d.S2PSBits)
	c.SetVmid(d.VMID)
	c.SetS2_affd(d.S2AFFD)
	c.SetS1_ha(d.S1HA)
	c.SetS1_hd(d.S1HD)
	c.SetS2_ha(d.S2HA)
	c.SetS2_hd(d.S2HD)
	c.SetS1_stall(d.S1Stall)
	c.SetS2_stall(d.S2Stall)
	c.SetEats(d.EATS)
	return c
}

// Translation is a successful SMMU translation.
type Translation struct {
	PA, Size uint64
	Perm     Access
}

// Fault is an SMMU fault record; *FaultError carries one.
type Fault struct {
	Event, Stage   uint
	Level          int
	Class          uint
	InputAddr, IPA uint64
	FetchAddr      uint64
	Recorded       bool
}

// FaultError is returned by Translate when the model faults the
// transaction; errors.Is(err, ErrFault) holds.
type FaultError struct {
	Fault Fault
}

func (e *FaultError) Error() string {
	return fmt.Sprintf("vmaccel: SMMU fault 0x%02x at 0x%x (stage %d, level %d)",
		e.Fault.Event, e.Fault.InputAddr, e.Fault.Stage, e.Fault.Level)
}

// Is makes errors.Is(err, ErrFault) hold.
func (e *FaultError) Is(target error) bool { return target == ErrFault }

// StreamStats are one stream's IOTLB counters.
type StreamStats struct {
	SID                         uint32
	Hits, Misses, Walks, Faults uint64
	IOTLBQuota, IOTLBUsed       uint32
}

// GuestMemory is flat guest physical memory [Base, Base+Size), owned by
// the binding, that an SMMU reads page tables from (SMMU.UseMemory). The
// model's callbacks copy from it in C: no Go code runs inside the library.
type GuestMemory struct {
	mu   sync.Mutex
	g    capi.Va_swig_guest_memory
	Base uint64
	Size uint64
}

// NewGuestMemory makes zeroed guest memory.
func NewGuestMemory(base, size uint64) (*GuestMemory, error) {
	g := capi.Va_swig_guest_memory_new(base, int64(size))
	if g.Swigcptr() == 0 {
		return nil, &Error{Code: codeNoMem, Op: "NewGuestMemory",
			Message: fmt.Sprintf("cannot make %d bytes at 0x%x", size, base)}
	}
	m := &GuestMemory{g: g, Base: base, Size: size}
	runtime.SetFinalizer(m, (*GuestMemory).free)
	return m, nil
}

func (m *GuestMemory) free() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.g != nil {
		capi.Va_swig_guest_memory_free(m.g)
		m.g = nil
	}
}

// Write copies data to guest address addr (ErrRange outside the memory).
func (m *GuestMemory) Write(addr uint64, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return call("GuestMemory.Write", func() int {
		return capi.Va_swig_guest_memory_write(m.g, addr, string(data))
	})
}

// Read copies n bytes from guest address addr.
func (m *GuestMemory) Read(addr uint64, n int) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b []byte
	err := call("GuestMemory.Read", func() int {
		return capi.Va_swig_guest_memory_read(m.g, addr, int64(n), &b)
	})
	return b, err
}

// SMMU is an SMMUv3 model: standalone (NewSMMU) or the manager's
// (Manager.SMMU, valid until the manager is closed). Any goroutine.
type SMMU struct {
	mu    sync.RWMutex
	h     capi.Struct_SS_vmaccel_smmu
	owner *Manager
	keep  smmuRefs // a standalone model's; a borrowed one keeps them in owner
}

// smmuRefs are what a model's C callbacks point into, kept alive while the
// model may use them (for the manager's model, as long as the manager).
type smmuRefs struct {
	mem *GuestMemory
	ep  *Endpoint
}

// NewSMMU makes a standalone model; iotlbEntries 0 means the default.
func NewSMMU(iotlbEntries uint) (*SMMU, error) {
	o := capi.NewVmaccel_smmu_options()
	defer capi.DeleteVmaccel_smmu_options(o)
	o.SetIotlb_entries(iotlbEntries)
	var p uintptr
	if err := call("NewSMMU", func() int { return capi.Vmaccel_smmu_new(o, &p) }); err != nil {
		return nil, err
	}
	s := &SMMU{h: capi.SwigcptrStruct_SS_vmaccel_smmu(p)}
	runtime.SetFinalizer(s, (*SMMU).Close)
	return s, nil
}

// SMMU returns the manager's model (ErrState before InitSMMU).
func (m *Manager) SMMU() (*SMMU, error) {
	var p uintptr
	err := m.do("SMMU", func(h capi.Struct_SS_vmaccel_manager) int {
		return capi.Vmaccel_manager_smmu(h, &p)
	})
	if err != nil {
		return nil, err
	}
	return &SMMU{h: capi.SwigcptrStruct_SS_vmaccel_smmu(p), owner: m}, nil
}

// Close frees a standalone model (a no-op for the manager's). Idempotent.
func (s *SMMU) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owner == nil && s.h != nil {
		capi.Vmaccel_smmu_free(s.h)
		runtime.SetFinalizer(s, nil)
	}
	s.h = nil
	if s.owner == nil {
		s.keep = smmuRefs{}
	}
	return nil
}

func (s *SMMU) do(op string, f func(h capi.Struct_SS_vmaccel_smmu) int) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.h == nil {
		return ErrClosed
	}
	if s.owner != nil {
		return s.owner.do(op, func(capi.Struct_SS_vmaccel_manager) int { return f(s.h) })
	}
	return call(op, func() int { return f(s.h) })
}

// UseMemory points page-table walks at mem (nil: every walk aborts).
func (s *SMMU) UseMemory(mem *GuestMemory) error {
	var g capi.Va_swig_guest_memory = capi.SwigcptrVa_swig_guest_memory(0)
	if mem != nil {
		g = mem.g
	}
	err := s.do("UseMemory", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Va_swig_smmu_use_guest_memory(h, g)
	})
	if err == nil {
		s.refs(func(r *smmuRefs) { r.mem = mem })
	}
	return err
}

// refs updates the references the model's callbacks need.
func (s *SMMU) refs(f func(*smmuRefs)) {
	if s.owner != nil {
		s.owner.keepMu.Lock()
		defer s.owner.keepMu.Unlock()
		f(&s.owner.smmuKeep)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.keep)
}

// Attach attaches stream sid to a domain.
func (s *SMMU) Attach(sid uint32, d Domain) error {
	c := d.toC()
	defer capi.DeleteVmaccel_smmu_domain(c)
	return s.do("Attach", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_attach(h, uint(sid), c)
	})
}

// Detach detaches stream sid (ErrNotFound if it was not attached).
func (s *SMMU) Detach(sid uint32) error {
	return s.do("Detach", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_detach(h, uint(sid))
	})
}

// Translate translates one transaction; a fault comes back as *FaultError.
func (s *SMMU) Translate(sid, ssid uint32, iova uint64, access Access) (Translation, error) {
	r := capi.NewVmaccel_smmu_result()
	defer capi.DeleteVmaccel_smmu_result(r)
	err := s.do("Translate", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_translate(h, uint(sid), uint(ssid), iova, uint(access), r)
	})
	if isCode(err, codeFault) {
		return Translation{}, &FaultError{faultOf(r)}
	}
	if err != nil {
		return Translation{}, err
	}
	return Translation{r.GetPa(), r.GetSize(), Access(r.GetPerm())}, nil
}

// isCode tells whether err is the *Error of one C code.
func isCode(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

func faultOf(r capi.Vmaccel_smmu_result) Fault {
	f := r.GetFault()
	return Fault{f.GetEvent(), f.GetStage(), f.GetLevel(), f.GetFault_class(),
		f.GetInput_addr(), f.GetIpa(), f.GetFetch_addr(), f.GetRecorded()}
}

// Invalidate drops cached translations in scope.
func (s *SMMU) Invalidate(scope InvalScope, vmid, asid uint16, addr, size uint64) error {
	return s.do("Invalidate", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_invalidate(h, capi.Enum_SS_vmaccel_smmu_inval_scope(scope),
			vmid, asid, addr, size)
	})
}

// StreamStats returns one stream's counters (ErrNotFound if never seen).
func (s *SMMU) StreamStats(sid uint32) (StreamStats, error) {
	st := capi.NewVmaccel_smmu_stream_stats()
	defer capi.DeleteVmaccel_smmu_stream_stats(st)
	err := s.do("StreamStats", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_stream_stats_get(h, uint(sid), st)
	})
	return StreamStats{uint32(st.GetSid()), st.GetHits(), st.GetMisses(), st.GetWalks(),
		st.GetFaults(), uint32(st.GetIotlb_quota()), uint32(st.GetIotlb_used())}, err
}

// SetPartitioning switches adaptive IOTLB partitioning on or off.
func (s *SMMU) SetPartitioning(adaptive bool, interval uint) error {
	return s.do("SetPartitioning", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_set_partitioning(h, adaptive, interval)
	})
}

// Repartition re-computes the IOTLB partition now.
func (s *SMMU) Repartition() error {
	return s.do("Repartition", capi.Vmaccel_smmu_repartition)
}

// MMIORead reads a register (size 4 or 8).
func (s *SMMU) MMIORead(offset uint64, size uint) (uint64, error) {
	var v uint64
	err := s.do("MMIORead", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_mmio_read(h, offset, size, &v)
	})
	return v, err
}

// MMIOWrite writes a register (size 4 or 8).
func (s *SMMU) MMIOWrite(offset uint64, size uint, value uint64) error {
	return s.do("MMIOWrite", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_mmio_write(h, offset, size, value)
	})
}
