package vmaccel

import (
	"context"
	"errors"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/vm-accel/vmaccel/bindings/go/internal/capi"
	"github.com/vm-accel/vmaccel/bindings/go/vmaccelpb"
	"google.golang.org/protobuf/proto"
)

// Start starts the manager's runtime loop (sampling, rebalancing, events).
// Idempotent.
func (m *Manager) Start() error { return m.do("Start", capi.Vmaccel_manager_start) }

// Stop stops the runtime loop and joins its thread. Idempotent.
func (m *Manager) Stop() error { return m.do("Stop", capi.Vmaccel_manager_stop) }

// Running tells whether the runtime loop runs.
func (m *Manager) Running() (bool, error) {
	return m.flag("Running", func(h capi.Struct_SS_vmaccel_manager, v *int32) int {
		return capi.Vmaccel_manager_running(h, v)
	})
}

// eventSliceMS bounds one wait inside the library, so that Close and ctx
// cancellation are noticed within that time.
const eventSliceMS = 100

// NextEvent pops the oldest queued event, waiting up to timeoutMS
// milliseconds (0: do not wait). It returns (nil, nil) when none came.
func (m *Manager) NextEvent(timeoutMS int) (*vmaccelpb.Event, error) {
	var b []byte
	err := m.do("NextEvent", func(h capi.Struct_SS_vmaccel_manager) int {
		return capi.Vmaccel_event_next(h, timeoutMS, &b)
	})
	if errors.Is(err, ErrAgain) || errors.Is(err, ErrTimeout) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ev := &vmaccelpb.Event{}
	if err := proto.Unmarshal(b, ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// Events returns a channel of the manager's events. Go never runs on the
// library's loop thread: a goroutine waits for the pull queue's fd in the
// Go runtime's poller (no OS thread blocked in C while the queue is empty),
// then pops the queue. The channel is closed when ctx is done or the
// manager is closed.
func (m *Manager) Events(ctx context.Context) <-chan *vmaccelpb.Event {
	ch := make(chan *vmaccelpb.Event, 64)
	f, err := m.eventsFile()
	if err != nil { // no pollable fd: wait inside the library instead
		go m.pumpBlocking(ctx, ch)
		return ch
	}
	go m.pumpPolled(ctx, f, ch)
	return ch
}

// eventsFile is a duplicate of the queue's eventfd (non-blocking, so
// os.NewFile registers it with the runtime poller). It is only polled,
// never read: vmaccel_event_next clears it when the queue empties.
func (m *Manager) eventsFile() (*os.File, error) {
	var fd int32
	err := m.do("Events", func(h capi.Struct_SS_vmaccel_manager) int {
		return capi.Vmaccel_events_fd(h, &fd)
	})
	if err != nil {
		return nil, err
	}
	dup, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return nil, errno
	}
	return os.NewFile(dup, "vmaccel-events"), nil
}

func (m *Manager) pumpPolled(ctx context.Context, f *os.File, ch chan<- *vmaccelpb.Event) {
	defer close(ch)
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	for ctx.Err() == nil {
		// The deadline bounds one wait, so ctx and Close are noticed.
		f.SetReadDeadline(time.Now().Add(eventSliceMS * time.Millisecond))
		var ev *vmaccelpb.Event
		var popErr error
		err := rc.Read(func(uintptr) bool { // false: wait until the fd is readable
			ev, popErr = m.popEvent()
			return ev != nil || popErr != nil
		})
		if popErr != nil {
			return // closed manager (ErrState) or a broken queue
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			return
		}
		select {
		case ch <- ev:
		case <-ctx.Done():
			return
		}
	}
}

// popEvent is NextEvent(0) for the pump: an empty queue is (nil, nil)
// without reading the error text, the common case when the fd woke us.
func (m *Manager) popEvent() (*vmaccelpb.Event, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.h == nil {
		return nil, ErrClosed
	}
	runtime.LockOSThread() // for vmaccel_error_last, as in call()
	defer runtime.UnlockOSThread()
	var b []byte
	rc := capi.Vmaccel_event_next(m.h, 0, &b)
	if rc == codeAgain {
		return nil, nil
	}
	if rc < 0 {
		return nil, &Error{Code: rc, Op: "NextEvent", Message: capi.Vmaccel_error_last()}
	}
	ev := &vmaccelpb.Event{}
	if err := proto.Unmarshal(b, ev); err != nil {
		return nil, err
	}
	return ev, nil
}

func (m *Manager) pumpBlocking(ctx context.Context, ch chan<- *vmaccelpb.Event) {
	defer close(ch)
	for ctx.Err() == nil {
		ev, err := m.NextEvent(eventSliceMS)
		if err != nil {
			return // closed manager (ErrState) or a broken queue
		}
		if ev == nil {
			continue
		}
		select {
		case ch <- ev:
		case <-ctx.Done():
			return
		}
	}
}

// EventStats are the counters of the event pipeline.
type EventStats struct {
	Emitted, QueueDropped, CallbackDropped  uint64
	QueueLength, QueueCapacity, Subscribers uint32
}

// EventStats returns a snapshot of the event counters.
func (m *Manager) EventStats() (EventStats, error) {
	s := capi.NewVmaccel_event_stats()
	defer capi.DeleteVmaccel_event_stats(s)
	err := m.do("EventStats", func(h capi.Struct_SS_vmaccel_manager) int {
		return capi.Vmaccel_event_stats_get(h, s)
	})
	return EventStats{s.GetEmitted(), s.GetQueue_dropped(), s.GetCallback_dropped(),
		uint32(s.GetQueue_length()), uint32(s.GetQueue_capacity()), uint32(s.GetSubscribers())}, err
}

// RenderEvent renders an event as the library does: FormatText (the lines
// of `vmaccel run --events text`) or FormatJSON.
func RenderEvent(ev *vmaccelpb.Event, format Format) (string, error) {
	data, err := proto.Marshal(ev)
	if err != nil {
		return "", err
	}
	var out []byte
	err = call("RenderEvent", func() int {
		return capi.Vmaccel_event_render(data, capi.Enum_SS_vmaccel_format(format), &out)
	})
	return string(out), err
}
