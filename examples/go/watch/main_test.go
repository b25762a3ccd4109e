package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestMain runs the program itself when WATCH_AS_MAIN=1, so the test can
// start it as a user would, with a pid as its only argument.
func TestMain(m *testing.M) {
	if os.Getenv("WATCH_AS_MAIN") == "1" {
		os.Args = []string{os.Args[0], os.Getenv("WATCH_PID")}
		main()
		return
	}
	os.Exit(m.Run())
}

// TestREADMEShowsThisProgram: the README's Go example is this file, byte
// for byte, so what the README shows is what the next test runs.
func TestREADMEShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	// The program without its two header comment lines, as the README shows it.
	body := string(src[strings.Index(string(src), "package main"):])
	blocks := regexp.MustCompile("(?s)### From Go\n.*?```go\n(.*?)```").FindStringSubmatch(string(readme))
	if blocks == nil {
		t.Fatal("README.md has no ```go block under ### From Go")
	}
	if blocks[1] != body {
		t.Errorf("README.md's Go example differs from examples/go/watch/main.go:\n%s", blocks[1])
	}
}

func TestWatchesAQEMUVM(t *testing.T) {
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed")
	}
	q := exec.Command("qemu-system-x86_64", "-accel", "tcg", "-name", "readme-go,debug-threads=on",
		"-m", "64", "-smp", "2", "-nographic", "-nodefaults", "-display", "none")
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { q.Process.Kill(); q.Wait() }()
	time.Sleep(time.Second) // QEMU names its vCPU threads as it creates them

	w := exec.Command(os.Args[0])
	w.Env = append(os.Environ(), "WATCH_AS_MAIN=1", fmt.Sprintf("WATCH_PID=%d", q.Process.Pid))
	out, _ := w.StdoutPipe()
	w.Stderr = os.Stderr
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { w.Process.Kill(); w.Wait() }()
	lines := make(chan string)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	want := fmt.Sprintf(`EVENT_TYPE_VM_ATTACHED VM 1 "readme-go" (pid %d, 2 vCPUs) attached`, q.Process.Pid)
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the program ended without printing the VM_ATTACHED event")
			}
			if l == want {
				return
			}
			t.Logf("other line: %s", l)
		case <-timeout:
			t.Fatalf("no line %q within 20 s", want)
		}
	}
}
