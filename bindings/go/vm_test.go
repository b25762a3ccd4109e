package vmaccel

import (
	"errors"
	"os"
	"runtime"
	"syscall"
	"testing"
)

// newLive is a manager on the live host (the threads' CPUs are real),
// closed when the test ends.
func newLive(t *testing.T) *Manager {
	t.Helper()
	m, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// registerThisThread locks the test's goroutine to its OS thread until the
// test ends and registers that thread as a one-vCPU VM of m, detached then.
func registerThisThread(t *testing.T, m *Manager, name string) *VM {
	t.Helper()
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
	vm, err := m.Register(&VMOptions{Name: name, VCPUTIDs: []int{syscall.Gettid()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { vm.Detach() })
	return vm
}

func TestRegisterThisThread(t *testing.T) {
	m, err := New(nil) // the live host: the thread's CPUs are real
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := syscall.Gettid()
	vm, err := m.Register(&VMOptions{Name: "go-vm", VCPUTIDs: []int{tid}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := vm.Info()
	if err != nil || !info.InProcess || info.PID != os.Getpid() || info.VCPUCount != 1 || info.Name != "go-vm" {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	v, err := vm.VCPU(0)
	if err != nil || v.TID != tid || v.Gone {
		t.Fatalf("VCPU(0) = %+v, %v", v, err)
	}
	if err := vm.Pin(PinOptions{DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if v, _ := vm.VCPU(0); v.PlannedCPU < 0 || v.Pinned {
		t.Errorf("dry run: %+v", v)
	}
	if err := vm.Detach(); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Info(); !errors.Is(err, ErrState) {
		t.Errorf("Info after Detach: %v", err)
	}
	if _, err := m.Attach(1<<22+12345, nil); !errors.Is(err, ErrGone) {
		t.Errorf("Attach(no such pid): %v", err)
	}
	if _, err := m.Register(&VMOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Register without threads: %v", err)
	}
}

// TestNUMACells: guest NUMA nodes set through the binding are counted, a
// vCPU in no cell or out of range is refused, and an empty list clears them.
func TestNUMACells(t *testing.T) {
	m := newLive(t)
	vm := registerThisThread(t, m, "go-cells")
	if n, src, err := vm.NUMACells(); err != nil || n != 0 || src != "" {
		t.Fatalf("before: %d %q %v", n, src, err)
	}
	cell := NUMACell{VCPUs: []uint{0}, Memory: []MemoryRegion{{Start: 1 << 30, Length: 1 << 20}}}
	if err := vm.SetNUMACells([]NUMACell{cell}); err != nil {
		t.Fatal(err)
	}
	if n, src, err := vm.NUMACells(); err != nil || n != 1 || src != "API" {
		t.Fatalf("after: %d %q %v", n, src, err)
	}
	bad := []NUMACell{{VCPUs: []uint{3}, Memory: cell.Memory}}
	if err := vm.SetNUMACells(bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("vCPU 3 of a 1-vCPU VM: %v", err)
	}
	unaligned := []NUMACell{{VCPUs: []uint{0}, Memory: []MemoryRegion{{Start: 1, Length: 4096}}}}
	if err := vm.SetNUMACells(unaligned); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unaligned memory: %v", err)
	}
	if err := vm.SetNUMACells(nil); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := vm.NUMACells(); n != 0 {
		t.Fatalf("cleared: %d cells", n)
	}
}

func TestVCPULimitsAndOverridePins(t *testing.T) {
	m := newLive(t)
	vm := registerThisThread(t, m, "go-limits")
	l, err := vm.VCPULimits(0)
	if err != nil || l.CPUs == "" || l.CPUsSource == "" || l.GuestNode != -1 {
		t.Fatalf("VCPULimits(0) = %+v, %v", l, err)
	}
	if l.CPUsOrigin != OriginCgroup && l.CPUsOrigin != OriginNone {
		t.Errorf("CPUsOrigin = %v", l.CPUsOrigin)
	}
	if _, err := vm.VCPULimits(1); !errors.Is(err, ErrRange) {
		t.Errorf("VCPULimits(1) of a 1-vCPU VM: %v", err)
	}
	if err := vm.Pin(PinOptions{DryRun: true, OverridePins: true}); err != nil {
		t.Fatal(err)
	}
	if info, err := vm.Info(); err != nil || info.Control != ControlOS || info.Discovery != DiscoveryExplicit {
		t.Errorf("Info = %+v, %v", info, err)
	}
	if err := m.ConfigureNUMA(&NUMAOptions{OverridePins: true}); err != nil {
		t.Error(err)
	}
	if _, err := m.AttachQMP("/nonexistent/qmp.sock", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("AttachQMP(nothing there): %v", err)
	}
	// Without libvirt in the build: not supported; with it, nothing serves
	// this URI. Never a list.
	if _, err := LibvirtDomains("qemu+unix:///system?socket=/nonexistent/sock"); !errors.Is(err, ErrNotSupported) && !errors.Is(err, ErrIO) {
		t.Errorf("LibvirtDomains(nothing there): %v", err)
	}
}
