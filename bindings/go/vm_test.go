package vmaccel

import (
	"errors"
	"os"
	"runtime"
	"syscall"
	"testing"
)

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
