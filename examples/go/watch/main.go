// Command watch attaches a running VM and prints the manager's events:
// the README's Go example, verbatim (main_test.go checks it is).
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strconv"

	vmaccel "github.com/vm-accel/vmaccel/bindings/go"
)

func main() {
	pid, _ := strconv.Atoi(os.Args[1]) // a running QEMU's pid
	m, err := vmaccel.New(nil)
	check(err)
	defer m.Close()
	_, err = m.Attach(pid, nil) // errors.Is(err, vmaccel.ErrPermission): not your VMM
	check(err)
	check(m.SetupFull()) // NUMA balancing on when the host has 2+ nodes
	check(m.Start())
	for ev := range m.Events(context.Background()) {
		fmt.Println(ev.GetType(), ev.GetMessage())
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
