// Command hostreport detects the host (or a synthetic one), sets up every
// acceleration it supports, says why any component was skipped, and prints
// the diagnostic report.
//
//	go run ./hostreport [-synthetic "pack:2 numa:2 core:4 pu:2"] [-json]
package main

import (
	"flag"
	"fmt"
	"log"

	vmaccel "github.com/vm-accel/vmaccel/bindings/go"
	"google.golang.org/protobuf/encoding/protojson"
)

func main() {
	synthetic := flag.String("synthetic", "", "hwloc synthetic topology instead of this host")
	asJSON := flag.Bool("json", false, "print the whole report as JSON")
	flag.Parse()

	m, err := vmaccel.New(&vmaccel.Options{Synthetic: *synthetic})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	if err := m.SetupFull(); err != nil {
		log.Fatal(err)
	}
	topo, err := m.Topology()
	if err != nil {
		log.Fatal(err)
	}
	pus, _ := topo.Count(vmaccel.ObjPU)
	nodes, _ := topo.Count(vmaccel.ObjNUMANode)
	fmt.Printf("%d CPUs in %d NUMA nodes\n", pus, nodes)
	for _, c := range vmaccel.Components {
		st, err := m.Component(c)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-14s %s %s\n", c, st.State, st.Reason)
	}
	r, err := m.Report()
	if err != nil {
		log.Fatal(err)
	}
	if *asJSON {
		fmt.Println(protojson.Format(r))
	} else {
		fmt.Printf("report: library %s, %d PUs\n", r.GetLibraryVersion(), len(r.GetTopology().GetPus()))
	}
}
