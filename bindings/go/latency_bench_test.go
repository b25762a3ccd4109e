package vmaccel

import (
	"context"
	"runtime"
	"sort"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// monotonicNS reads CLOCK_MONOTONIC, the clock of Event.timestamp_ns.
func monotonicNS() uint64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	return uint64(ts.Sec)*1e9 + uint64(ts.Nsec)
}

// BenchmarkEventLatency: from an event's emission (its timestamp) to the
// moment a goroutine reading Manager.Events holds the decoded Event. Events
// come from registering an in-process VM, 1 ms apart (as in
// bench/bench_event_latency.c). Run with -benchtime=2000x.
func BenchmarkEventLatency(b *testing.B) {
	m, err := New(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := m.Events(ctx)
	lat := make([]uint64, 0, b.N)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range ch {
			lat = append(lat, monotonicNS()-ev.GetTimestampNs())
			if len(lat) == b.N {
				return
			}
		}
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := syscall.Gettid()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vm, err := m.Register(&VMOptions{VCPUTIDs: []int{tid}})
		if err != nil {
			b.Fatal(err)
		}
		vm.Detach()
		time.Sleep(time.Millisecond)
	}
	<-done
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2])/1e3, "p50-us")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e3, "p99-us")
	b.ReportMetric(float64(lat[len(lat)-1])/1e3, "max-us")
}
