package vmaccel

import (
	"errors"
	"fmt"
	"testing"
)

func TestPlanLocalFirstKeepsAVMInOneNode(t *testing.T) {
	topo, err := newSynthetic(t).Topology()
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(topo, PlanOptions{Strategy: LocalFirst})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	vm, err := p.AddVM(8, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Compute(); err != nil {
		t.Fatal(err)
	}
	nodes, cpus := map[uint]bool{}, map[uint]bool{}
	for i := uint(0); i < 8; i++ {
		c, n, err := p.VCPU(vm, i)
		if err != nil {
			t.Fatal(err)
		}
		nodes[n], cpus[c] = true, true
	}
	if len(nodes) != 1 || len(cpus) != 8 {
		t.Errorf("nodes %v cpus %v", nodes, cpus)
	}
	if s, err := p.Score(-1); err != nil || s < 0 || s > 1 {
		t.Errorf("score %v, %v", s, err)
	}
	r, err := p.Report()
	if err != nil || len(r.GetPlacements()) != 1 || len(r.GetPlacements()[0].GetVcpus()) != 8 {
		t.Errorf("report %v, %v", r, err)
	}
}

func TestPlanErrorsAndStrategies(t *testing.T) {
	topo, _ := newSynthetic(t).Topology()
	p, err := NewPlan(topo, PlanOptions{Strategy: LoadBalanced, ReservedCPUs: "0-3"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Compute(); !errors.Is(err, ErrState) {
		t.Errorf("Compute without VMs: %v", err)
	}
	if _, err := p.AddVM(0, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("AddVM(0): %v", err)
	}
	if _, err := p.AddVM(4, []uint64{1 << 30, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewPlan(topo, PlanOptions{ReservedCPUs: "banana"}); !errors.Is(err, ErrParse) {
		t.Errorf("bad reserved cpus: %v", err)
	}
	for _, s := range []Strategy{LocalFirst, LoadBalanced, BandwidthOptimized, Adaptive} {
		if got, err := ParseStrategy(s.String()); err != nil || got != s {
			t.Errorf("%v round trip: %v, %v", s, got, err)
		}
	}
	if _, err := ParseStrategy("fastest"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseStrategy(fastest): %v", err)
	}
}

func TestLoadTopologyOwnsItsHandle(t *testing.T) {
	topo, err := LoadTopology(&TopologyOptions{Synthetic: paritySynthetic, AllowedCPUs: "0-3,8"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := topo.Count(ObjNUMANode); n != 4 || err != nil {
		t.Fatalf("Count(NUMA) = %d, %v", n, err)
	}
	if cpus, err := topo.AllowedCPUs(); err != nil || fmt.Sprint(cpus) != "[0 1 2 3 8]" {
		t.Fatalf("AllowedCPUs = %v, %v", cpus, err)
	}
	topo.Close()
	topo.Close()
	if _, err := topo.Count(ObjPU); !errors.Is(err, ErrState) {
		t.Fatalf("Count after Close = %v, want ErrState", err)
	}
	if _, err := LoadTopology(&TopologyOptions{Synthetic: "pack:banana"}); !errors.Is(err, ErrParse) {
		t.Fatalf("bad synthetic: %v, want ErrParse", err)
	}
}
