package vmaccel

import (
	"errors"
	"testing"
	"time"
)

// The SVA side through Go, as a guest driver would drive it: queues in guest
// memory programmed through MMIO (IHI 0070 chapter 6 offsets, chapter 4
// commands); the same scenarios as tests/python/test_smmu.py.
const (
	regCR0, regCmdqBase, regCmdqProd, regCmdqCons = 0x20, 0x90, 0x98, 0x9c
	regEventqBase, regPriqBase, regPriqProd       = 0xa0, 0xc0, 0x100c8
	cr0SMMUEN, cr0PRIQEN, cr0EVENTQEN, cr0CMDQEN  = 1, 2, 4, 8
	cr0ATSCHK                                     = 16
	guestCQ, guestEQ, guestPQ                     = 0x8000, 0x9000, 0xa000
	descDBM, descAP2                              = 1 << 51, 1 << 7
	smmuUnmapped                                  = smmuIOVA + 0x1000
)

// withQueues programs a 16-entry command queue, 4-entry event and PRI
// queues, and enables SMMUEN | EVENTQEN | CMDQEN | extra.
func (g *testGuest) withQueues(extra uint64) {
	g.t.Helper()
	for _, q := range [][3]uint64{{regCmdqBase, guestCQ, 4}, {regEventqBase, guestEQ, 2},
		{regPriqBase, guestPQ, 2}} {
		g.mmioWrite(q[0], 8, q[1]|q[2])
	}
	g.mmioWrite(regCR0, 4, cr0SMMUEN|cr0EVENTQEN|cr0CMDQEN|extra)
}

func (g *testGuest) mmioWrite(off uint64, size uint, v uint64) {
	g.t.Helper()
	if err := g.s.MMIOWrite(off, size, v); err != nil {
		g.t.Fatal(err)
	}
}

func (g *testGuest) mmioRead(off uint64) uint64 {
	g.t.Helper()
	v, err := g.s.MMIORead(off, 4)
	if err != nil {
		g.t.Fatal(err)
	}
	return v
}

func (g *testGuest) command(d0, d1 uint64) {
	g.t.Helper()
	prod := g.mmioRead(regCmdqProd)
	g.put(guestCQ+16*(prod&15), d0)
	g.put(guestCQ+16*(prod&15)+8, d1)
	g.mmioWrite(regCmdqProd, 4, (prod+1)&31)
}

func TestSMMUTranslateMany(t *testing.T) {
	s := newTestSMMU(t)
	tr, err := s.TranslateMany(7, NoSSID, []uint64{smmuIOVA, smmuIOVA + 8}, AccessRead)
	if err != nil || len(tr) != 2 || tr[1].PA != smmuPageOut|(smmuIOVA+8)&0xfff ||
		tr[1].Size != 4096 || tr[1].Perm&AccessRead == 0 {
		t.Fatalf("TranslateMany = %+v, %v", tr, err)
	}
	tr, err = s.TranslateMany(7, NoSSID, []uint64{smmuIOVA, smmuUnmapped, smmuIOVA}, AccessRead)
	var fe *FaultError
	if !errors.As(err, &fe) || len(tr) != 1 || fe.Fault.InputAddr != smmuUnmapped ||
		fe.Fault.Event != EvtFTranslation {
		t.Fatalf("with a fault: %+v, %v", tr, err)
	}
	if tr, err := s.TranslateMany(7, NoSSID, nil, AccessRead); err != nil || len(tr) != 0 {
		t.Errorf("empty list: %+v, %v", tr, err)
	}
}

func TestSMMUHardwareDirtyState(t *testing.T) {
	g := newTestGuest(t)
	slot := uint64(smmuL3 + 8*levelIndex(smmuIOVA, 3))
	clean := uint64(smmuPageOut | descValid | descDBM | descAP2 | descAPRWAny) // AF=0
	g.put(slot, clean)
	g.attach(7, func(d *Domain) { d.S1HA, d.S1HD = true, true })
	if _, err := g.s.Translate(7, NoSSID, smmuIOVA, AccessRead); err != nil {
		t.Fatal(err)
	}
	if v := g.get(slot); v != clean|descAF {
		t.Errorf("after a read: %#x", v)
	}
	if _, err := g.s.Translate(7, NoSSID, smmuIOVA, AccessWrite); err != nil {
		t.Fatal(err)
	}
	if v := g.get(slot); v != (clean|descAF)&^descAP2 {
		t.Errorf("after a write (dirty): %#x", v)
	}
}

func TestSMMUStallResumes(t *testing.T) {
	g := newTestGuest(t)
	g.withQueues(0)
	g.attach(7, func(d *Domain) { d.S1Stall = true })
	_, err := g.s.TranslateStallable(7, NoSSID, smmuUnmapped, AccessWrite)
	var se *StallError
	if !errors.As(err, &se) || !errors.Is(err, ErrAgain) || se.Fault.Event != EvtFTranslation {
		t.Fatalf("TranslateStallable: %v", err)
	}
	rec0, rec1 := g.get(guestEQ), g.get(guestEQ+8)
	if rec0&0xff != EvtFTranslation || rec1>>31&1 != 1 {
		t.Fatalf("event record %#x %#x: want F_TRANSLATION with STALL=1", rec0, rec1)
	}
	if how, err := g.s.StallWait(se.StallID, 0); how != StallPending || err != nil {
		t.Fatalf("before the answer: %v, %v", how, err)
	}
	done := make(chan StallEnd)
	go func() {
		how, _ := g.s.StallWait(se.StallID, -1)
		done <- how
	}()
	g.put(smmuL3+8*levelIndex(smmuUnmapped, 3), smmuPageOut|0x1000|descValid|descAF|descAPRWAny)
	g.command(0x44|1<<12|7<<32, rec1&0xffff) // CMD_RESUME, retry, the STAG
	select {
	case how := <-done:
		if how != StallRetry {
			t.Fatalf("ended with %v", how)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("StallWait did not return after CMD_RESUME")
	}
	if tr, err := g.s.TranslateStallable(7, NoSSID, smmuUnmapped, AccessWrite); err != nil ||
		tr.PA != smmuPageOut|0x1000|smmuUnmapped&0xfff {
		t.Fatalf("retry: %+v, %v", tr, err)
	}
	if _, err := g.s.StallWait(se.StallID, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("collected twice: %v", err)
	}
}

func TestSMMUATS(t *testing.T) {
	g := newTestGuest(t)
	g.withQueues(0)
	g.attach(7, nil)
	g.attach(8, func(d *Domain) { d.EATS = 1 })
	c, err := g.s.ATSTranslate(8, NoSSID, smmuIOVA, AccessRead|AccessWrite)
	if err != nil || c != (ATSCompletion{ATSSuccess, smmuPageOut, 4096, AccessRead | AccessWrite}) {
		t.Fatalf("ATSTranslate = %+v, %v", c, err)
	}
	if c, _ := g.s.ATSTranslate(8, NoSSID, smmuUnmapped, AccessRead); c.Status != ATSSuccess || c.Perm != 0 {
		t.Errorf("unmapped: %+v", c)
	}
	if c, _ := g.s.ATSTranslate(7, NoSSID, smmuIOVA, AccessRead); c.Status != ATSUnsupported {
		t.Errorf("EATS=0: %+v", c)
	}
	if ok, err := g.s.ATSTranslated(7, smmuPageOut, AccessRead); !ok || err != nil {
		t.Errorf("ATSCHK=0: %v, %v", ok, err)
	}
	g.mmioWrite(regCR0, 4, cr0SMMUEN|cr0EVENTQEN|cr0CMDQEN|cr0ATSCHK)
	if ok, err := g.s.ATSTranslated(7, smmuPageOut, AccessRead); ok || err != nil {
		t.Errorf("ATSCHK=1, EATS=0: %v, %v", ok, err)
	}
	if ev := g.get(guestEQ + 32); ev&0xff != EvtFTranslForbidden {
		t.Errorf("second event %#x: want F_TRANSL_FORBIDDEN", ev)
	}
	if ok, _ := g.s.ATSTranslated(8, smmuPageOut, AccessWrite); !ok {
		t.Error("ATSCHK=1, EATS=1: refused")
	}
}

func TestSMMUATCInvalidationAndPRI(t *testing.T) {
	g := newTestGuest(t)
	g.withQueues(cr0PRIQEN)
	ep, err := NewEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.s.UseEndpoint(ep); err != nil {
		t.Fatal(err)
	}
	g.command(0x40|8<<32, smmuIOVA&^0xfff) // CMD_ATC_INV, 4 KiB
	g.command(0x46, 0)                     // CMD_SYNC
	m, ok := ep.Next()
	inv, isInv := m.(ATCInvalidation)
	if !ok || !isInv || inv.SID != 8 || inv.SSID != NoSSID || inv.Addr != smmuIOVA&^0xfff ||
		inv.Log2Size != 12 {
		t.Fatalf("Next = %+v, %v", m, ok)
	}
	if cons := g.mmioRead(regCmdqCons); cons != 1 {
		t.Fatalf("CMDQ_CONS %#x: CMD_SYNC must wait for the endpoint", cons)
	}
	if err := g.s.ATCInvDone(inv.ID, true); err != nil {
		t.Fatal(err)
	}
	if cons := g.mmioRead(regCmdqCons); cons != 2 {
		t.Fatalf("CMDQ_CONS %#x after the completion", cons)
	}
	o, err := g.s.PageRequest(PageRequest{SID: 8, SSID: NoSSID, Addr: 0x5000,
		Access: AccessRead | AccessWrite, PRGIndex: 3, Last: true})
	if err != nil || o != PPRQueued || g.mmioRead(regPriqProd) != 1 {
		t.Fatalf("PageRequest = %v, %v", o, err)
	}
	if d0, d1 := g.get(guestPQ), g.get(guestPQ+8); d0 != 8|1<<60|1<<61|1<<62 || d1 != 0x5003 {
		t.Errorf("PRI queue record %#x %#x", d0, d1)
	}
	g.command(0x41|8<<32, 3|2<<12) // CMD_PRI_RESP, Success
	m, ok = ep.Next()
	if r, _ := m.(PRGResponse); !ok || r != (PRGResponse{8, NoSSID, 3, PRGSuccess, false}) {
		t.Errorf("Next = %+v, %v", m, ok)
	}
	if _, ok := ep.Next(); ok || ep.Dropped() != 0 {
		t.Error("more messages than sent")
	}
	if _, err := g.s.PageRequest(PageRequest{SID: 8, PRGIndex: 512}); !errors.Is(err, ErrInvalid) {
		t.Errorf("PRG index 512: %v", err)
	}
}

// The manager's model outlives the *SMMU wrappers that set its memory and
// endpoint, so the manager keeps them (a wrapper's would be collected).
func TestManagerSMMUKeepsItsMemoryAndEndpoint(t *testing.T) {
	m, err := New(&Options{Synthetic: paritySynthetic})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.InitSMMU(); err != nil {
		t.Fatal(err)
	}
	g := newTestGuest(t)
	ep, err := NewEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.SMMU()
	if err != nil {
		t.Fatal(err)
	}
	if s.UseMemory(g.mem) != nil || s.UseEndpoint(ep) != nil {
		t.Fatal("UseMemory/UseEndpoint failed")
	}
	s.Close() // a no-op for the manager's model: it still points into both
	if m.smmuKeep.mem != g.mem || m.smmuKeep.ep != ep {
		t.Errorf("the manager does not keep them: %+v", m.smmuKeep)
	}
}
