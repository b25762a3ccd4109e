package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// TestMain doubles as a fake VMM: with VMWATCH_FAKE_VMM=1 the test binary
// starts two threads named like QEMU's vCPUs ("CPU n/TCG") and sleeps.
func TestMain(m *testing.M) {
	if os.Getenv("VMWATCH_FAKE_VMM") == "1" {
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
	w, err := start(ctx, "127.0.0.1:0", []int{vmm.Process.Pid}, "local-first")
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
		fmt.Sprintf(`pid="%d"} 1`, vmm.Process.Pid),
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
