package vmaccel

import (
	"encoding/binary"
	"errors"
	"testing"
)

// A stage-1 table built by hand from the VMSAv8-64 descriptor formats (4 KiB
// granule, 39-bit input so walks start at level 1); the same scenario as
// tests/python/test_smmu.py.
const (
	smmuTable   = 0x1000
	smmuPageOut = 0x80000000
	smmuIOVA    = 0x12345678
	descValid   = 0b11      // table descriptor (levels 0-2) or page (level 3)
	descAF      = 1 << 10   // access flag
	descAPRWAny = 0b01 << 6 // AP[2:1]=01: read/write at EL1 and EL0
)

func levelIndex(iova uint64, level uint) uint64 { return (iova >> (39 - 9*level)) & 0x1ff }

// testGuest is the model with the table above in its guest memory.
type testGuest struct {
	t   *testing.T
	s   *SMMU
	mem *GuestMemory
}

func (g *testGuest) put(addr, v uint64) {
	g.t.Helper()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	if err := g.mem.Write(addr, b[:]); err != nil {
		g.t.Fatal(err)
	}
}

func (g *testGuest) get(addr uint64) uint64 {
	g.t.Helper()
	b, err := g.mem.Read(addr, 8)
	if err != nil {
		g.t.Fatal(err)
	}
	return binary.LittleEndian.Uint64(b)
}

// attach attaches sid to the stage-1 table; edit changes the domain first.
func (g *testGuest) attach(sid uint32, edit func(*Domain)) {
	g.t.Helper()
	d := DefaultDomain(SMMUS1)
	d.S1TTB0, d.S1T0SZ, d.S1Granule0, d.ASID = smmuTable, 25, 4096, 1
	if edit != nil {
		edit(&d)
	}
	if err := g.s.Attach(sid, d); err != nil {
		g.t.Fatal(err)
	}
}

const smmuL3 = smmuTable + 0x2000

func newTestGuest(t *testing.T) *testGuest {
	t.Helper()
	mem, err := NewGuestMemory(0, 0x10000)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSMMU(64)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.UseMemory(mem); err != nil {
		t.Fatal(err)
	}
	g := &testGuest{t, s, mem}
	l1, l2 := uint64(smmuTable), uint64(smmuTable+0x1000)
	g.put(l1+8*levelIndex(smmuIOVA, 1), l2|descValid)
	g.put(l2+8*levelIndex(smmuIOVA, 2), smmuL3|descValid)
	g.put(smmuL3+8*levelIndex(smmuIOVA, 3), smmuPageOut|descValid|descAF|descAPRWAny)
	return g
}

func newTestSMMU(t *testing.T) *SMMU {
	g := newTestGuest(t)
	g.attach(7, nil)
	return g.s
}

func TestSMMUTranslate(t *testing.T) {
	s := newTestSMMU(t)
	tr, err := s.Translate(7, NoSSID, smmuIOVA, AccessRead|AccessWrite)
	if err != nil || tr.PA != smmuPageOut|(smmuIOVA&0xfff) || tr.Size != 4096 {
		t.Fatalf("Translate = %+v, %v", tr, err)
	}
	_, err = s.Translate(7, NoSSID, 0x40000000, AccessRead)
	var fe *FaultError
	if !errors.As(err, &fe) || !errors.Is(err, ErrFault) {
		t.Fatalf("unmapped: %v", err)
	}
	if fe.Fault.Event != EvtFTranslation || fe.Fault.Stage != 1 || fe.Fault.Level != 1 {
		t.Errorf("fault record %+v", fe.Fault)
	}
	st, err := s.StreamStats(7)
	if err != nil || st.SID != 7 || st.Misses < 1 || st.Walks < 1 {
		t.Errorf("stats %+v, %v", st, err)
	}
	if err := s.Detach(99); !errors.Is(err, ErrNotFound) {
		t.Errorf("Detach(99): %v", err)
	}
	if _, err := s.MMIORead(0, 3); !errors.Is(err, ErrInvalid) {
		t.Errorf("MMIORead size 3: %v", err)
	}
}

func TestGuestMemoryBounds(t *testing.T) {
	m, err := NewGuestMemory(0x4000, 16)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Write(0x400c, []byte("12345678")); !errors.Is(err, ErrRange) {
		t.Errorf("write past the end: %v", err)
	}
	if err := m.Write(0x4001, []byte("ab")); err != nil {
		t.Fatal(err)
	}
	if b, err := m.Read(0x4000, 4); err != nil || string(b) != "\x00ab\x00" {
		t.Errorf("Read = %q, %v", b, err)
	}
}
