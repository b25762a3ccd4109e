package vmaccel

import (
	"context"
	"errors"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/vm-accel/vmaccel/bindings/go/vmaccelpb"
)

func TestStartStop(t *testing.T) {
	m := newSynthetic(t)
	for i := 0; i < 2; i++ {
		if err := m.Start(); err != nil {
			t.Fatal(err)
		}
	}
	if on, err := m.Running(); !on || err != nil {
		t.Fatalf("Running after Start: %v %v", on, err)
	}
	for i := 0; i < 2; i++ {
		if err := m.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	if on, _ := m.Running(); on {
		t.Fatal("running after Stop")
	}
}

func TestEmptyQueueAndEventsChannel(t *testing.T) {
	m := newSynthetic(t)
	if ev, err := m.NextEvent(0); ev != nil || err != nil {
		t.Fatalf("NextEvent(0) = %v, %v", ev, err)
	}
	st, err := m.EventStats()
	if err != nil || st.QueueLength != 0 || st.QueueCapacity == 0 {
		t.Fatalf("stats %+v, %v", st, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := m.Events(ctx)
	select {
	case ev := <-ch:
		t.Fatalf("event from an idle manager: %v", ev)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("event after cancel")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("channel not closed after cancel")
	}
	// Closing the manager also ends the channel.
	ch = m.Events(context.Background())
	m.Close()
	select {
	case <-ch:
	case <-time.After(2 * time.Second):
		t.Fatal("channel not closed after Close")
	}
	if _, err := m.NextEvent(0); !errors.Is(err, ErrState) {
		t.Errorf("NextEvent after Close: %v", err)
	}
}

func TestEventsChannelDeliversVMAttached(t *testing.T) {
	m, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := m.Events(ctx)
	runtime.LockOSThread()
	vm, err := m.Register(&VMOptions{VCPUTIDs: []int{syscall.Gettid()}})
	runtime.UnlockOSThread()
	if err != nil {
		t.Fatal(err)
	}
	info, _ := vm.Info()
	select {
	case ev := <-ch:
		if ev.GetType() != vmaccelpb.EventType_EVENT_TYPE_VM_ATTACHED || ev.GetVmId() != info.ID {
			t.Fatalf("event %v, want VM_ATTACHED of VM %d", ev, info.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no VM_ATTACHED event")
	}
	if st, err := m.EventStats(); err != nil || st.Emitted < 1 {
		t.Errorf("stats %+v, %v", st, err)
	}
}
