package vmaccel

import (
	"context"
	"errors"

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

// Events returns a channel of the manager's events, fed by a goroutine that
// pops the library's pull queue (Go never runs on the library's loop
// thread). The channel is closed when ctx is done or the manager is closed.
func (m *Manager) Events(ctx context.Context) <-chan *vmaccelpb.Event {
	ch := make(chan *vmaccelpb.Event, 64)
	go func() {
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
	}()
	return ch
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
