package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	vmaccel "github.com/vm-accel/vmaccel/bindings/go"
)

// TestMain doubles as a fake VMM: with VMWATCH_FAKE_VMM=1 the test binary
// starts two threads named like QEMU's vCPUs ("CPU n/TCG") and sleeps.
func TestMain(m *testing.M) {
	if os.Getenv("VMWATCH_FAKE_VMM") == "1" {
		runtime.LockOSThread() // keeps the vCPU goroutines off the main thread
		for i := 0; i < 2; i++ {
			go func(i int) {
				runtime.LockOSThread() // the thread keeps its name: never unlocked
				name := []byte(fmt.Sprintf("CPU %d/TCG\x00", i))
				syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_NAME,
					uintptr(unsafe.Pointer(&name[0])), 0)
				select {}
			}(i)
		}
		time.Sleep(200 * time.Millisecond)
		fmt.Println("ready")
		time.Sleep(10 * time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestServesMetricsForAWatchedVM(t *testing.T) {
	vmm := exec.Command(os.Args[0], "-test.run=^$")
	vmm.Env = append(os.Environ(), "VMWATCH_FAKE_VMM=1")
	out, _ := vmm.StdoutPipe()
	if err := vmm.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { vmm.Process.Kill(); vmm.Wait() }()
	buf := make([]byte, 6)
	if _, err := io.ReadFull(out, buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("fake VMM: %q %v", buf, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := start(ctx, "127.0.0.1:0", []int{vmm.Process.Pid}, "local-first", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	var body string
	for i := 0; i < 50; i++ { // the VM_ATTACHED event reaches the counter asynchronously
		resp, err := http.Get("http://" + w.addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		if strings.Contains(body, `vmaccel_events_total{type="EVENT_TYPE_VM_ATTACHED"} 1`) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{
		fmt.Sprintf(`pid="%d",vm_id="1"} 1`, vmm.Process.Pid),
		`vmaccel_vm_vcpus{vm_id="1"} 2`,
		`vmaccel_placement_cpu{numa_node="0",vcpu="1",vm_id="1"}`,
		`vmaccel_events_total{type="EVENT_TYPE_VM_ATTACHED"} 1`,
		`vmaccel_event_queue_dropped 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

// startQEMU starts a QEMU TCG VM with n vCPUs and waits for its vCPU
// threads ("CPU i/TCG").
func startQEMU(t *testing.T, name string, n int) *exec.Cmd {
	t.Helper()
	q := exec.Command("qemu-system-x86_64", "-accel", "tcg", "-name", name+",debug-threads=on",
		"-m", "64", "-smp", fmt.Sprint(n), "-nographic", "-nodefaults", "-display", "none")
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Process.Kill(); q.Wait() })
	for i := 0; i < 100; i++ {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/comm", q.Process.Pid, q.Process.Pid))
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", q.Process.Pid))
		found := 0
		for _, task := range tasks {
			c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/comm", q.Process.Pid, task.Name()))
			if strings.HasSuffix(strings.TrimSpace(string(c)), "/TCG") {
				found++
			}
		}
		if found == n && len(comm) > 0 {
			return q
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("QEMU %s: no %d vCPU threads", name, n)
	return nil
}

// driveIOTLB gives the watcher's SMMU model one stream (sid 7, a stage-1
// page table built from the VMSAv8-64 descriptor formats) and translates
// the same address four times: one miss, three hits.
func driveIOTLB(t *testing.T, m *vmaccel.Manager) {
	t.Helper()
	const table, pageOut, iova = 0x1000, 0x80000000, 0x12345678
	mem, err := vmaccel.NewGuestMemory(0, 0x10000)
	if err != nil {
		t.Fatal(err)
	}
	idx := func(level uint) uint64 { return (iova >> (39 - 9*level)) & 0x1ff }
	put := func(addr, v uint64) {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], v)
		if err := mem.Write(addr, b[:]); err != nil {
			t.Fatal(err)
		}
	}
	put(table+8*idx(1), (table+0x1000)|0b11)
	put(table+0x1000+8*idx(2), (table+0x2000)|0b11)
	put(table+0x2000+8*idx(3), pageOut|0b11|1<<10|0b01<<6) // page, AF, AP=RW
	s, err := m.SMMU()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UseMemory(mem); err != nil {
		t.Fatal(err)
	}
	d := vmaccel.DefaultDomain(vmaccel.SMMUS1)
	d.S1TTB0, d.S1T0SZ, d.S1Granule0, d.ASID = table, 25, 4096, 1
	if err := s.Attach(7, d); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if _, err := s.Translate(7, vmaccel.NoSSID, iova, vmaccel.AccessRead); err != nil {
			t.Fatal(err)
		}
	}
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestWatchesTwoQEMUVMs: two real QEMU VMs are attached and pinned; a
// scrape shows their placements, their locality measured by the NUMA
// engine, their rebalance counters, the IOTLB hit ratio of an SMMU stream
// and the event counts.
func TestWatchesTwoQEMUVMs(t *testing.T) {
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed")
	}
	a, b := startQEMU(t, "alpha", 2), startQEMU(t, "beta", 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := start(ctx, "127.0.0.1:0", []int{a.Process.Pid, b.Process.Pid}, "local-first",
		&vmaccel.NUMAOptions{IntervalMS: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	driveIOTLB(t, w.m)
	want := []string{
		fmt.Sprintf(`vmaccel_vm_info{name="alpha",pid="%d",vm_id="1"} 1`, a.Process.Pid),
		fmt.Sprintf(`vmaccel_vm_info{name="beta",pid="%d",vm_id="2"} 1`, b.Process.Pid),
		`vmaccel_vm_vcpus{vm_id="1"} 2`,
		`vmaccel_vm_vcpus{vm_id="2"} 1`,
		`vmaccel_placement_cpu{numa_node="0",vcpu="1",vm_id="1"}`,
		`vmaccel_placement_cpu{numa_node="0",vcpu="0",vm_id="2"}`,
		`vmaccel_vm_local_rate{source="page_placement",vm_id="1"} 1`,
		`vmaccel_vm_local_rate{source="page_placement",vm_id="2"} 1`,
		`vmaccel_vm_rebalances_total{kind="vcpu_move",vm_id="1"} 0`,
		`vmaccel_vm_rebalances_total{kind="memory_migration",vm_id="2"} 0`,
		`vmaccel_vm_rebalances_total{kind="failure",vm_id="1"} 0`,
		`vmaccel_smmu_iotlb_hit_ratio{sid="7"} 0.75`,
		`vmaccel_events_total{type="EVENT_TYPE_VM_ATTACHED"} 2`,
		`vmaccel_events_total{type="EVENT_TYPE_REBALANCE_APPLIED"} 0`,
		`vmaccel_event_queue_dropped 0`,
	}
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`vmaccel_vm_numa_samples_total\{vm_id="1"\} ([1-9]\d*)`),
		regexp.MustCompile(`vmaccel_vm_numa_samples_total\{vm_id="2"\} ([1-9]\d*)`),
		regexp.MustCompile(`vmaccel_events_total\{type="EVENT_TYPE_LOCALITY_CHANGED"\} ([2-9]|\d\d+)\n`),
	}
	var body string
	deadline := time.Now().Add(10 * time.Second)
	// The engine's periods, the gauges and the event counter are updated
	// asynchronously (events reach the counter through the event queue,
	// after the gauge), so wait for every line and pattern together.
	for {
		body = scrape(t, w.addr)
		if len(metricsMissing(body, want, patterns)) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, m := range metricsMissing(body, want, patterns) {
		t.Errorf("metrics lack %s", m)
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", body)
	}
}

// metricsMissing lists the wanted lines and patterns that body lacks.
func metricsMissing(body string, want []string, patterns []*regexp.Regexp) []string {
	var missing []string
	for _, s := range want {
		if !strings.Contains(body, s) {
			missing = append(missing, fmt.Sprintf("%q", s))
		}
	}
	for _, re := range patterns {
		if !re.MatchString(body) {
			missing = append(missing, "a match of "+re.String())
		}
	}
	return missing
}
