package vmaccel

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/vm-accel/vmaccel/bindings/go/vmaccelpb"
)

func TestVersion(t *testing.T) {
	n := VersionNumber()
	if want := fmt.Sprintf("%d.%d.%d", n/10000, n/100%100, n%100); Version() != want {
		t.Fatalf("Version() = %q, VersionNumber() = %d", Version(), n)
	}
}

func TestTopologyNUMANodesAndCaches(t *testing.T) {
	topo, err := LoadTopology(&TopologyOptions{Synthetic: "pack:2 numa:2 l3:1 core:4 pu:2"})
	if err != nil {
		t.Fatal(err)
	}
	defer topo.Close()
	nodes, err := topo.NUMANodes()
	if err != nil || len(nodes) != 4 {
		t.Fatalf("NUMANodes = %+v, %v", nodes, err)
	}
	for i, n := range nodes {
		if n.Index != uint(i) || n.PUCount != 8 {
			t.Errorf("node %d: %+v", i, n)
		}
	}
	if l3s, _ := topo.Count(ObjL3Cache); l3s != 4 {
		t.Fatalf("%d L3 caches, want 4", l3s)
	}
	c, err := topo.Cache(ObjL3Cache, 3)
	if err != nil || c.Level != 3 || c.Index != 3 || c.PUCount != 8 {
		t.Fatalf("Cache(L3, 3) = %+v, %v", c, err)
	}
	if _, err := topo.NUMANode(4); err == nil {
		t.Error("NUMANode(4) on 4 nodes did not fail")
	}
}

func TestVMMemoryRegionsAndAffinityState(t *testing.T) {
	m, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ram, err := m.NUMAAlloc(1<<20, AllocLocal, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer NUMAFree(ram)
	start := uint64(uintptr(unsafe.Pointer(&ram[0])))
	vm, err := m.Register(&VMOptions{VCPUTIDs: []int{syscall.Gettid()}, Memory: [][2]uint64{{start, 1 << 20}}})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Detach()
	regions, err := vm.MemoryRegions()
	if err != nil || len(regions) != 1 || regions[0].Start != start || regions[0].Length != 1<<20 {
		t.Fatalf("MemoryRegions = %+v, %v", regions, err)
	}
	if err := vm.Pin(PinOptions{Strategy: LocalFirst}); err != nil {
		t.Fatal(err)
	}
	defer vm.RestoreAffinity()
	state, err := vm.AffinityState()
	var decoded map[string]any
	if err != nil || json.Unmarshal(state, &decoded) != nil || !strings.Contains(string(state), fmt.Sprint(os.Getpid())) {
		t.Fatalf("AffinityState = %s, %v", state, err)
	}
	if err := vm.LoadAffinityState(state); err != nil {
		t.Fatalf("LoadAffinityState(own state): %v", err)
	}
	if err := vm.LoadAffinityState([]byte("{not json")); !errors.Is(err, ErrParse) {
		t.Errorf("LoadAffinityState(garbage) = %v, want ErrParse", err)
	}
}

func TestCaptureAffinityStateBeforePin(t *testing.T) {
	vm := registerThisThread(t, newLive(t), "")
	before, err := vm.VCPUAllowedCPUs(0)
	if err != nil {
		t.Fatal(err)
	}
	state, err := vm.CaptureAffinityState(PinOptions{Strategy: LocalFirst})
	if err != nil || !strings.Contains(string(state), `"pinned":true`) {
		t.Fatalf("CaptureAffinityState = %s, %v", state, err)
	}
	if now, _ := vm.VCPUAllowedCPUs(0); fmt.Sprint(now) != fmt.Sprint(before) {
		t.Fatalf("capture changed the affinity: %v, was %v", now, before)
	}
	if err := vm.Pin(PinOptions{Strategy: LocalFirst}); err != nil {
		t.Fatal(err)
	}
	after, err := vm.AffinityState()
	if err != nil || string(after) != string(state) {
		t.Fatalf("the pin changed the captured originals: %s, %v", after, err)
	}
	if err := vm.RestoreAffinity(); err != nil {
		t.Fatal(err)
	}
	if now, _ := vm.VCPUAllowedCPUs(0); fmt.Sprint(now) != fmt.Sprint(before) {
		t.Fatalf("restored affinity %v, was %v", now, before)
	}
	if _, err := vm.CaptureAffinityState(PinOptions{VCPUCount: 2}); !errors.Is(err, ErrInvalid) {
		t.Errorf("CaptureAffinityState(2 of 1 vCPUs) = %v, want ErrInvalid", err)
	}
}

func TestRenderEvent(t *testing.T) {
	m := newLive(t)
	registerThisThread(t, m, "render-me")
	ev, err := m.NextEvent(2000)
	if err != nil || ev == nil || ev.GetType() != vmaccelpb.EventType_EVENT_TYPE_VM_ATTACHED {
		t.Fatalf("NextEvent = %v, %v", ev, err)
	}
	text, err := RenderEvent(ev, FormatText)
	if err != nil || !strings.Contains(text, "render-me") {
		t.Fatalf("RenderEvent(text) = %q, %v", text, err)
	}
	js, err := RenderEvent(ev, FormatJSON)
	var back map[string]any
	if err != nil || json.Unmarshal([]byte(js), &back) != nil || back["type"] != "EVENT_TYPE_VM_ATTACHED" {
		t.Fatalf("RenderEvent(json) = %q, %v", js, err)
	}
}
