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

func newTestSMMU(t *testing.T) *SMMU {
	t.Helper()
	mem, err := NewGuestMemory(0, 0x10000)
	if err != nil {
		t.Fatal(err)
	}
	put := func(addr, v uint64) {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], v)
		if err := mem.Write(addr, b[:]); err != nil {
			t.Fatal(err)
		}
	}
	l1, l2, l3 := uint64(smmuTable), uint64(smmuTable+0x1000), uint64(smmuTable+0x2000)
	put(l1+8*levelIndex(smmuIOVA, 1), l2|descValid)
	put(l2+8*levelIndex(smmuIOVA, 2), l3|descValid)
	put(l3+8*levelIndex(smmuIOVA, 3), smmuPageOut|descValid|descAF|descAPRWAny)
	s, err := NewSMMU(64)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.UseMemory(mem); err != nil {
		t.Fatal(err)
	}
	d := DefaultDomain(SMMUS1)
	d.S1TTB0, d.S1T0SZ, d.S1Granule0, d.ASID = smmuTable, 25, 4096, 1
	if err := s.Attach(7, d); err != nil {
		t.Fatal(err)
	}
	return s
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
