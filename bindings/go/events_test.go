package vmaccel

import (
	"context"
	"errors"
	"os"
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
	// The pump closes its fd before the channel, up to one wait slice after
	// cancel: wait for that, or the close lands in the next test's fd count.
	cancel()
	for range ch {
	}
}

// startPoller makes the Go runtime create its poller, as the first file it
// polls does.
func startPoller(t *testing.T) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.SetReadDeadline(time.Now())
	r.Close()
	w.Close()
}

// eventFDs lists this process's open eventfds by number - the kind the
// pump's duplicate is.
func eventFDs(t *testing.T) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	fds := map[string]bool{}
	for _, e := range entries {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil &&
			target == "anon_inode:[eventfd]" {
			fds[e.Name()] = true
		}
	}
	return fds
}

// TestEventsChannelBurstInOrder: events emitted faster than the consumer
// reads (the fd stays readable between them: one edge for many events)
// all arrive, in sequence order, and the channel's fd is released after.
func TestEventsChannelBurstInOrder(t *testing.T) {
	m, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// What lives as long as the manager or the process is there is made
	// first: the manager's event queue (its eventfd, made on first use) and
	// the Go runtime's poller (its own fds, made for the first pollable
	// file). The eventfds that appear with Events are the pump's duplicate;
	// they must be closed once its channel is. (Counting all fds would race
	// with earlier tests' managers closed by finalizers meanwhile.)
	if _, err := m.EventStats(); err != nil {
		t.Fatal(err)
	}
	startPoller(t)
	before := eventFDs(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := m.Events(ctx)
	var pumps []string
	for fd := range eventFDs(t) {
		if !before[fd] {
			pumps = append(pumps, fd)
		}
	}
	if len(pumps) != 1 {
		t.Fatalf("Events opened %d eventfds, not one: %v", len(pumps), pumps)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n = 300
	for i := 0; i < n; i++ {
		vm, err := m.Register(&VMOptions{VCPUTIDs: []int{syscall.Gettid()}})
		if err != nil {
			t.Fatal(err)
		}
		vm.Detach()
	}
	var last uint64
	attached := 0
	timeout := time.After(10 * time.Second)
	for attached < n {
		select {
		case ev := <-ch:
			if ev.GetSequence() <= last {
				t.Fatalf("sequence %d after %d", ev.GetSequence(), last)
			}
			last = ev.GetSequence()
			if ev.GetType() == vmaccelpb.EventType_EVENT_TYPE_VM_ATTACHED {
				attached++
			}
		case <-timeout:
			t.Fatalf("%d of %d VM_ATTACHED events", attached, n)
		}
	}
	cancel()
	for range ch { // drained and closed once the pump has ended
	}
	if eventFDs(t)[pumps[0]] {
		t.Errorf("the pump's eventfd (fd %s) is still open after the channel closed", pumps[0])
	}
}
