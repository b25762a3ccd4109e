package vmaccel

// The SMMU's device side for shared virtual addressing: batch translation,
// stalls (the page-fault path of a device that can hold a DMA), ATS with ATC
// invalidation, and PRI page requests.

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/vm-accel/vmaccel/bindings/go/internal/capi"
)

// TranslateMany translates a scatter-gather list of one stream in one call.
// At the first IOVA that faults it returns the translations before it and a
// *FaultError (so the faulting index is len of the slice).
func (s *SMMU) TranslateMany(sid, ssid uint32, iovas []uint64, access Access) ([]Translation, error) {
	r := capi.NewVmaccel_smmu_result()
	defer capi.DeleteVmaccel_smmu_result(r)
	var packed []byte
	err := s.do("TranslateMany", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_translate_many(h, uint(sid), uint(ssid), iovas, uint(access),
			&packed, r)
	})
	if err != nil && !isCode(err, codeFault) {
		return nil, err
	}
	// 24 bytes a translation: pa and size (u64), perm (u32), padding.
	out := make([]Translation, 0, len(packed)/24)
	for b := packed; len(b) >= 24; b = b[24:] {
		out = append(out, Translation{binary.LittleEndian.Uint64(b),
			binary.LittleEndian.Uint64(b[8:]), Access(binary.LittleEndian.Uint32(b[16:]))})
	}
	if err != nil {
		return out, &FaultError{faultOf(r)}
	}
	return out, nil
}

// StallError is returned by TranslateStallable when the transaction stalled:
// the guest resolves the fault and answers the STALL=1 event; StallWait
// tells whether to retry or abort. errors.Is(err, ErrAgain) holds.
type StallError struct {
	Fault   Fault
	StallID uint32
}

func (e *StallError) Error() string {
	return fmt.Sprintf("vmaccel: SMMU stall %d: fault 0x%02x at 0x%x", e.StallID,
		e.Fault.Event, e.Fault.InputAddr)
}

// Is makes errors.Is(err, ErrAgain) hold.
func (e *StallError) Is(target error) bool { return target == ErrAgain }

// StallEnd is how a stall ended.
type StallEnd int

const (
	StallPending StallEnd = 0 // not yet (StallWait's timeout ran out)
	StallRetry   StallEnd = 1 // translate again
	StallAbort   StallEnd = 2 // terminate the transaction with an abort
)

// TranslateStallable is Translate for a device that can hold a DMA: a fault
// the guest configured to stall (CD.S, STE.S2S) returns *StallError.
func (s *SMMU) TranslateStallable(sid, ssid uint32, iova uint64, access Access) (Translation, error) {
	r := capi.NewVmaccel_smmu_result()
	defer capi.DeleteVmaccel_smmu_result(r)
	var id uint32
	err := s.do("TranslateStallable", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_translate_stallable(h, uint(sid), uint(ssid), iova,
			uint(access), r, &id)
	})
	switch {
	case isCode(err, codeAgain):
		return Translation{}, &StallError{faultOf(r), id}
	case isCode(err, codeFault):
		return Translation{}, &FaultError{faultOf(r)}
	case err != nil:
		return Translation{}, err
	}
	return Translation{r.GetPa(), r.GetSize(), Access(r.GetPerm())}, nil
}

// StallWait waits up to timeout (negative: without limit) for a stall to
// end: StallRetry or StallAbort, or StallPending when the time ran out.
// ErrNotFound for an unknown or already collected id.
func (s *SMMU) StallWait(stallID uint32, timeout time.Duration) (StallEnd, error) {
	ms := -1
	if timeout >= 0 {
		ms = int(timeout.Milliseconds())
	}
	var how int32
	err := s.do("StallWait", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_stall_wait(h, uint(stallID), ms, &how)
	})
	if isCode(err, codeTimedOut) {
		return StallPending, nil
	}
	return StallEnd(how), err
}

// ATSStatus is an ATS Translation Completion's status (PCIe codes).
type ATSStatus int

const (
	ATSSuccess        ATSStatus = 0 // see Perm: no Read and no Write means denied
	ATSUnsupported    ATSStatus = 1 // UR: ATS is off for the stream
	ATSCompleterAbort ATSStatus = 4 // CA: a configuration error
)

// ATSCompletion answers an ATS Translation Request.
type ATSCompletion struct {
	Status     ATSStatus
	Addr, Size uint64
	Perm       Access
}

// ATSTranslate answers an ATS Translation Request from endpoint sid
// (STE.EATS decides whether ATS is on).
func (s *SMMU) ATSTranslate(sid, ssid uint32, iova uint64, access Access) (ATSCompletion, error) {
	r := capi.NewVmaccel_smmu_ats_result()
	defer capi.DeleteVmaccel_smmu_ats_result(r)
	err := s.do("ATSTranslate", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_ats_translate(h, uint(sid), uint(ssid), iova, uint(access), r)
	})
	return ATSCompletion{ATSStatus(r.GetStatus()), r.GetAddr(), r.GetSize(),
		Access(r.GetPerm())}, err
}

// ATSTranslated checks a Translated transaction to physical address pa:
// true when it passes (CR0.ATSCHK and the STE decide).
func (s *SMMU) ATSTranslated(sid uint32, pa uint64, access Access) (bool, error) {
	err := s.do("ATSTranslated", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_ats_translated(h, uint(sid), pa, uint(access))
	})
	if isCode(err, codeFault) {
		return false, nil
	}
	return err == nil, err
}

// PageRequest is a PRI Page Request from an endpoint.
type PageRequest struct {
	SID, SSID uint32 // SSID NoSSID: no PASID
	Addr      uint64
	Access    Access
	PRGIndex  uint // 0..511
	Last      bool // last request of its group
	Stop      bool // a Stop PASID marker (needs an SSID)
}

// PPROutcome is what became of a page request.
type PPROutcome int

const (
	PPRQueued   PPROutcome = 0 // in the guest's PRI queue
	PPROverflow PPROutcome = 1 // discarded: the queue is full or overflowed
	PPRDisabled PPROutcome = 2 // discarded: PRIQEN or SMMUEN off
	PPRAbort    PPROutcome = 3 // discarded: the queue write aborted
)

// PageRequest writes a page request to the guest's PRI queue, or discards
// it with the automatic PRG Response the spec gives (to the Endpoint).
func (s *SMMU) PageRequest(p PageRequest) (PPROutcome, error) {
	var flags uint
	if p.Last {
		flags |= uint(capi.VMACCEL_SMMU_PRI_LAST)
	}
	if p.Stop {
		flags |= uint(capi.VMACCEL_SMMU_PRI_STOP)
	}
	var o int32
	err := s.do("PageRequest", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_page_request(h, uint(p.SID), uint(p.SSID), p.Addr,
			uint(p.Access), p.PRGIndex, flags, &o)
	})
	return PPROutcome(o), err
}

// PRGCode is a PRG Response code.
type PRGCode uint

const (
	PRGSuccess        PRGCode = 0x0
	PRGInvalidRequest PRGCode = 0x1
	PRGFailure        PRGCode = 0xf
)

// EndpointMessage is an ATCInvalidation or a PRGResponse.
type EndpointMessage interface{ endpointMessage() }

// ATCInvalidation is an ATS Invalidate Request (CMD_ATC_INV) for endpoint
// SID's ATC; complete it with SMMU.ATCInvDone(ID). A CMD_SYNC after it
// waits until then.
type ATCInvalidation struct {
	ID        uint64
	SID, SSID uint32 // SSID NoSSID: no PASID
	Global    bool
	Addr      uint64
	Log2Size  uint // the span is 1<<Log2Size bytes; 64: everything
}

// PRGResponse is a PRG Response (CMD_PRI_RESP, or automatic when the SMMU
// discarded the page request).
type PRGResponse struct {
	SID, SSID uint32
	PRGIndex  uint
	Code      PRGCode
	Automatic bool
}

func (ATCInvalidation) endpointMessage() {}
func (PRGResponse) endpointMessage()     {}

// Endpoint queues what an SMMU sends towards its PCIe endpoints
// (SMMU.UseEndpoint): the model's callbacks run in C under its lock, where
// no Go code runs, so a goroutine reads them with Next.
type Endpoint struct {
	mu sync.Mutex
	e  capi.Va_swig_endpoint
}

// NewEndpoint makes an empty queue.
func NewEndpoint() (*Endpoint, error) {
	e := capi.Va_swig_endpoint_new()
	if e.Swigcptr() == 0 {
		return nil, &Error{Code: codeNoMem, Op: "NewEndpoint", Message: "cannot make the queue"}
	}
	ep := &Endpoint{e: e}
	runtime.SetFinalizer(ep, (*Endpoint).free)
	return ep, nil
}

func (ep *Endpoint) free() {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	capi.Va_swig_endpoint_free(ep.e)
}

// Next returns the oldest message, or false when there is none.
func (ep *Endpoint) Next() (EndpointMessage, bool) {
	m := capi.NewVa_swig_endpoint_msg()
	defer capi.DeleteVa_swig_endpoint_msg(m)
	ep.mu.Lock()
	rc := capi.Va_swig_endpoint_next(ep.e, m)
	ep.mu.Unlock()
	if rc != 0 {
		return nil, false
	}
	if int(m.GetKind()) == capi.VA_SWIG_ATC_INV {
		return ATCInvalidation{m.GetId(), uint32(m.GetSid()), uint32(m.GetSsid()),
			m.GetGlobal(), m.GetAddr(), m.GetLog2size()}, true
	}
	return PRGResponse{uint32(m.GetSid()), uint32(m.GetSsid()), m.GetPrg_index(),
		PRGCode(m.GetCode()), m.GetAutomatic()}, true
}

// Dropped counts messages lost to a full queue (a lost invalidation fails).
func (ep *Endpoint) Dropped() uint64 {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return capi.Va_swig_endpoint_dropped(ep.e)
}

// UseEndpoint queues the model's endpoint messages in ep (nil: no ATS
// endpoints; invalidations then complete at once).
func (s *SMMU) UseEndpoint(ep *Endpoint) error {
	var e capi.Va_swig_endpoint = capi.SwigcptrVa_swig_endpoint(0)
	if ep != nil {
		e = ep.e
	}
	err := s.do("UseEndpoint", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Va_swig_smmu_use_endpoint(h, e)
	})
	if err == nil {
		s.refs(func(r *smmuRefs) { r.ep = ep })
	}
	return err
}

// ATCInvDone completes an ATC invalidation; ok false means the endpoint
// failed it (the CMD_SYNC after it then reports CERROR_ATC_INV_SYNC).
func (s *SMMU) ATCInvDone(id uint64, ok bool) error {
	status := 0
	if !ok {
		status = -1
	}
	return s.do("ATCInvDone", func(h capi.Struct_SS_vmaccel_smmu) int {
		return capi.Vmaccel_smmu_atc_inv_done(h, id, status)
	})
}
