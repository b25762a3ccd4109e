package vmaccel

import (
	"context"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/vm-accel/vmaccel/bindings/go/vmaccelpb"
)

// monotonicNS reads CLOCK_MONOTONIC, the clock of Event.timestamp_ns.
func monotonicNS() uint64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	return uint64(ts.Sec)*1e9 + uint64(ts.Nsec)
}

func reportLatency(b *testing.B, lat []uint64) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2])/1e3, "p50-us")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e3, "p99-us")
	b.ReportMetric(float64(lat[len(lat)-1])/1e3, "max-us")
}

// BenchmarkRebalanceLatency: from a rebalance decision (the
// REBALANCE_PLANNED event's timestamp, stamped on the library's loop thread
// as the NUMA engine's policy decides) to the moment a goroutine reading
// Manager.Events holds the decoded Event. The decisions are real: the
// engine runs every 2 ms on an in-process VM that is 0% local - a vCPU
// thread parked on CPU 1, 4 MiB of guest RAM from NUMAAlloc on node 0 - on
// the synthetic topology "pack:1 numa:2 core:1 pu:1" (CPU 0 is node 0, CPU
// 1 node 1), dry run, so it plans the same fix again after each backoff.
// The scenario of bench/bindings/rebalance_latency.c. Needs CPUs 0 and 1.
// Run with -benchtime=2000x.
func BenchmarkRebalanceLatency(b *testing.B) {
	tids := make(chan int)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // the VM's one vCPU, parked on CPU 1
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		mask := cpuMask{1 << 1}
		if err := affinity(true, &mask); err != nil {
			tids <- -1
			return
		}
		tids <- syscall.Gettid()
		<-stop
	}()
	tid := <-tids
	if tid < 0 {
		b.Skip("cannot run a thread on CPU 1")
	}
	m, err := New(&Options{Synthetic: "pack:1 numa:2 core:1 pu:1"})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if err := m.EnableNUMA(2); err != nil {
		b.Fatal(err)
	}
	err = m.ConfigureNUMA(&NUMAOptions{IntervalMS: 2, TriggerSamples: 1, CooldownSamples: 1, DryRun: true})
	if err != nil {
		b.Fatal(err)
	}
	ram, err := m.NUMAAlloc(4<<20, AllocOnNode, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer NUMAFree(ram)
	for i := range ram {
		ram[i] = 1
	}
	_, err = m.Register(&VMOptions{Name: "bench-vm", VCPUTIDs: []int{tid},
		Memory: [][2]uint64{{uint64(uintptr(unsafe.Pointer(&ram[0]))), uint64(len(ram))}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := m.Events(ctx)
	lat := make([]uint64, 0, b.N)
	b.ResetTimer()
	if err := m.Start(); err != nil {
		b.Fatal(err)
	}
	timeout := time.After(time.Duration(b.N)*350*time.Millisecond + time.Minute)
	for len(lat) < b.N {
		select {
		case ev := <-ch:
			if ev.GetType() == vmaccelpb.EventType_EVENT_TYPE_REBALANCE_PLANNED {
				lat = append(lat, monotonicNS()-ev.GetTimestampNs())
			}
		case <-timeout:
			b.Fatalf("%d of %d decisions", len(lat), b.N)
		}
	}
	b.StopTimer()
	reportLatency(b, lat)
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
	reportLatency(b, lat)
}

// BenchmarkPollerFloor is the Go runtime's floor for the path Events uses,
// with no vm-accel code: a locked OS thread sleeping in nanosleep (its P
// handed off meanwhile, as for the library's loop thread, which Go does
// not know) writes an eventfd every 35 ms; a goroutine waiting for it in
// the runtime poller passes the timestamp on a channel to the benchmark.
func BenchmarkPollerFloor(b *testing.B) {
	efd, _, errno := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		b.Fatal(errno)
	}
	f := os.NewFile(efd, "floor")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		b.Fatal(err)
	}
	var sent atomic.Uint64
	ch := make(chan uint64, 64)
	stop := make(chan struct{})
	go func() { // the reader, as in pumpPolled
		for {
			err := rc.Read(func(fd uintptr) bool {
				var v uint64
				_, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&v)), 8)
				return e == 0
			})
			if err != nil {
				return
			}
			select {
			case ch <- sent.Load():
			case <-stop:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the writer
		defer wg.Done()
		runtime.LockOSThread()
		one := uint64(1)
		for {
			ts, rem := syscall.Timespec{Nsec: 35e6}, syscall.Timespec{}
			for { // the runtime's preemption signals interrupt the sleep
				_, _, e := syscall.Syscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)),
					uintptr(unsafe.Pointer(&rem)), 0)
				if e != syscall.EINTR {
					break
				}
				ts = rem
			}
			select {
			case <-stop:
				return
			default:
			}
			sent.Store(monotonicNS())
			syscall.RawSyscall(syscall.SYS_WRITE, efd, uintptr(unsafe.Pointer(&one)), 8)
		}
	}()
	lat := make([]uint64, 0, b.N)
	b.ResetTimer()
	for len(lat) < b.N {
		s := <-ch
		lat = append(lat, monotonicNS()-s)
	}
	b.StopTimer()
	close(stop)
	wg.Wait() // before f.Close: the fd number must not be reused under it
	reportLatency(b, lat)
}
