package vmaccel

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/vm-accel/vmaccel/bindings/go/vmaccelpb"
)

func TestConfigureNUMARejectsBadOptions(t *testing.T) {
	m := newSynthetic(t)
	for _, c := range []struct {
		opts  NUMAOptions
		words string
	}{
		{NUMAOptions{Threshold: 1.5}, "threshold 1.5"},
		{NUMAOptions{Threshold: -0.1}, "threshold -0.1"},
		{NUMAOptions{Hysteresis: 2}, "hysteresis 2"},
		{NUMAOptions{SampleError: 0.6}, "sample_error 0.6"},
		{NUMAOptions{IntervalMS: 3600001}, "at most one hour"},
		{NUMAOptions{Fix: 7}, "unknown fix 7"},
	} {
		err := m.ConfigureNUMA(&c.opts)
		var e *Error
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &e) || !strings.Contains(e.Message, c.words) {
			t.Errorf("ConfigureNUMA(%+v) = %v, want ErrInvalid with %q", c.opts, err, c.words)
		}
	}
	for _, o := range []*NUMAOptions{nil, {}, {IntervalMS: 250, Threshold: 0.9, Fix: NUMAFixMoveVCPUs, DryRun: true},
		{Threshold: 1, SampleError: 0.5, IntervalMS: 3600000, Fix: NUMAFixMigrateMemory},
		{MigrateWhole: true, OverridePins: true, MigrateStopVCPUs: true}} {
		if err := m.ConfigureNUMA(o); err != nil {
			t.Errorf("ConfigureNUMA(%+v): %v", o, err)
		}
	}
}

func TestNUMATickNeedsNUMAOn(t *testing.T) {
	m := newSynthetic(t)
	if err := m.NUMATick(); !errors.Is(err, ErrState) {
		t.Fatalf("NUMATick with NUMA off = %v, want ErrState", err)
	}
	if err := m.EnableNUMA(4); err != nil {
		t.Fatal(err)
	}
	if err := m.NUMATick(); err != nil { // no VM: a period runs, observes nothing
		t.Fatal(err)
	}
	m.DisableNUMA()
	if err := m.NUMATick(); !errors.Is(err, ErrState) {
		t.Fatalf("NUMATick after DisableNUMA = %v, want ErrState", err)
	}
}

// cpuMask is a sched_{get,set}affinity mask for up to 1024 CPUs.
type cpuMask [16]uint64

func affinity(set bool, mask *cpuMask) error {
	nr := uintptr(syscall.SYS_SCHED_GETAFFINITY)
	if set {
		nr = syscall.SYS_SCHED_SETAFFINITY
	}
	_, _, errno := syscall.RawSyscall(nr, 0, unsafe.Sizeof(*mask), uintptr(unsafe.Pointer(mask)))
	if errno != 0 {
		return errno
	}
	return nil
}

// onNode0 locks the goroutine to its OS thread and keeps that thread on
// node 0's CPUs (the ones the process may use) until the test ends.
func onNode0(t *testing.T, m *Manager) {
	t.Helper()
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
	topo, err := m.Topology()
	if err != nil {
		t.Fatal(err)
	}
	cpus, err := topo.ObjectCPUs(ObjNUMANode, 0)
	if err != nil {
		t.Fatal(err)
	}
	var before, mask cpuMask
	if err := affinity(false, &before); err != nil {
		t.Fatal(err)
	}
	for _, c := range cpus {
		if before[c/64]&(1<<(c%64)) != 0 {
			mask[c/64] |= 1 << (c % 64)
		}
	}
	if mask == (cpuMask{}) {
		t.Fatal("node 0 has no CPU this process may use")
	}
	if err := affinity(true, &mask); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { affinity(true, &before) })
}

func liveNUMA(t *testing.T) *Manager {
	t.Helper()
	m, err := New(nil) // the live host: real threads, real pages
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	topo, _ := m.Topology()
	nodes, _ := topo.Count(ObjNUMANode)
	if err := m.EnableNUMA(nodes); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLocalityOfAnInProcessVM: this thread as the vCPU, NUMAAlloc'd memory
// on node 0 as guest RAM; one engine period measures it from page placement.
func TestLocalityOfAnInProcessVM(t *testing.T) {
	m := liveNUMA(t)
	onNode0(t, m)
	if err := m.ConfigureNUMA(&NUMAOptions{DryRun: true}); err != nil {
		t.Fatal(err)
	}
	ram, err := m.NUMAAlloc(4<<20, AllocOnNode, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer NUMAFree(ram)
	for i := range ram {
		ram[i] = 0x5a
	}
	vm, err := m.Register(&VMOptions{Name: "go-vmm", VCPUTIDs: []int{syscall.Gettid()},
		Memory: [][2]uint64{{uint64(uintptr(unsafe.Pointer(&ram[0]))), uint64(len(ram))}}})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Detach()
	var e *Error
	if _, err := vm.Locality(); !errors.Is(err, ErrNotFound) || !errors.As(err, &e) ||
		!strings.Contains(e.Message, "not observed") {
		t.Fatalf("Locality before a tick = %v, want ErrNotFound", err)
	}
	if err := m.NUMATick(); err != nil {
		t.Fatal(err)
	}
	loc, err := vm.Locality()
	if err != nil {
		t.Fatal(err)
	}
	want := Locality{Source: LocalityPagePlacement, LocalRate: 1, HomeNode: 0, Samples: 1}
	if *loc != want {
		t.Fatalf("Locality = %+v, want %+v", *loc, want)
	}
	if err := m.NUMATick(); err != nil {
		t.Fatal(err)
	}
	if loc, _ := vm.Locality(); loc.Samples != 2 {
		t.Errorf("samples after two ticks: %d", loc.Samples)
	}
	info, _ := vm.Info()
	deadline := time.Now().Add(2 * time.Second)
	for {
		ev, err := m.NextEvent(100)
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("no LOCALITY_CHANGED event (%v)", err)
		}
		if ev != nil && ev.GetType() == vmaccelpb.EventType_EVENT_TYPE_LOCALITY_CHANGED {
			if ev.GetVmId() != info.ID || !strings.Contains(ev.GetMessage(), "local rate 1.00") {
				t.Errorf("event %v", ev)
			}
			break
		}
	}
	r, err := m.Report()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range r.GetLocality() {
		if l.GetVmId() == info.ID {
			found = l.GetSource() == "page_placement" && l.GetLocalRate() == 1
		}
	}
	if !found {
		t.Errorf("report locality %v lacks VM %d at 1.0 from page placement", r.GetLocality(), info.ID)
	}
}

func TestLocalityOfAVMWithoutMemory(t *testing.T) {
	m := liveNUMA(t)
	vm := registerThisThread(t, m, "")
	if err := m.NUMATick(); err != nil {
		t.Fatal(err)
	}
	loc, err := vm.Locality()
	if err != nil || loc.Source != LocalityNone || loc.Samples != 1 {
		t.Fatalf("Locality = %+v, %v; want observed once, not measured", loc, err)
	}
}

// mapped tells whether addr lies in one of this process's mappings.
func mapped(t *testing.T, addr uintptr) bool {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		var lo, hi uintptr
		fmt.Sscanf(s.Text(), "%x-%x", &lo, &hi)
		if lo <= addr && addr < hi {
			return true
		}
	}
	return false
}

func TestNUMAAllocAndFree(t *testing.T) {
	m, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	topo, _ := m.Topology()
	nodes, _ := topo.Count(ObjNUMANode)
	b, err := m.NUMAAlloc(3<<20, AllocLocal, 0)
	if err != nil {
		t.Fatal(err)
	}
	addr := uintptr(unsafe.Pointer(&b[0]))
	if len(b) != 3<<20 || addr%4096 != 0 || b[0] != 0 || b[len(b)-1] != 0 || !mapped(t, addr) {
		t.Fatalf("NUMAAlloc: len %d addr %#x", len(b), addr)
	}
	copy(b[5:], "numa")
	if string(b[5:9]) != "numa" {
		t.Fatal("write did not stick")
	}
	if err := NUMAFree(b[1<<20:]); err != nil { // any slice reaching the end
		t.Fatal(err)
	}
	if mapped(t, addr) {
		t.Error("memory still mapped after NUMAFree")
	}
	if err := NUMAFree(b); !errors.Is(err, ErrInvalid) {
		t.Errorf("second NUMAFree = %v, want ErrInvalid", err)
	}
	if err := NUMAFree(make([]byte, 8)); !errors.Is(err, ErrInvalid) {
		t.Errorf("NUMAFree(Go memory) = %v, want ErrInvalid", err)
	}
	for _, p := range []struct {
		policy AllocPolicy
		node   uint
	}{{AllocInterleave, 0}, {AllocOnNode, nodes - 1}} {
		b, err := m.NUMAAlloc(8192, p.policy, p.node)
		if err != nil || b[8191] != 0 {
			t.Fatalf("NUMAAlloc(%v): %v", p, err)
		}
		if err := NUMAFree(b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.NUMAAlloc(0, AllocLocal, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("NUMAAlloc(0) = %v", err)
	}
	_, err = m.NUMAAlloc(4096, AllocOnNode, nodes)
	var e *Error
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &e) ||
		!strings.Contains(e.Message, fmt.Sprintf("the topology has %d nodes", nodes)) {
		t.Errorf("NUMAAlloc on node %d = %v", nodes, err)
	}
}
