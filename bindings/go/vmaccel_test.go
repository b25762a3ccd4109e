package vmaccel

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/vm-accel/vmaccel/bindings/go/internal/capi"
	"github.com/vm-accel/vmaccel/bindings/go/vmaccelpb"
	"google.golang.org/protobuf/proto"
)

// The parity scenario shared with tests/python/test_parity.py and the C CLI:
// a synthetic two-package, four-node host and probe roots that do not exist,
// so nothing depends on the machine the test runs on.
const (
	paritySynthetic = "pack:2 numa:2 core:4 pu:2"
	parityRoot      = "/nonexistent-vmaccel-parity-root"
	parityTimestamp = "1700000000000000000"
)

func newSynthetic(t *testing.T) *Manager {
	t.Helper()
	m, err := New(&Options{Synthetic: paritySynthetic, SysfsRoot: parityRoot,
		DevfsRoot: parityRoot, DevicetreeRoot: parityRoot})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestSetupFullTurnsComponentsOn(t *testing.T) {
	m := newSynthetic(t)
	if on, _ := m.NUMAEnabled(); on {
		t.Fatal("NUMA on before setup")
	}
	if err := m.SetupFull(); err != nil {
		t.Fatal(err)
	}
	for _, c := range Components {
		st, err := m.Component(c)
		if err != nil || st.State != ComponentOn {
			t.Errorf("component %d: %+v, %v", c, st, err)
		}
	}
	for _, f := range []func() (bool, error){m.NUMAEnabled, m.SMMUInitialized, m.VCPUAffinityInitialized} {
		if on, err := f(); !on || err != nil {
			t.Errorf("flag off after setup_full: %v", err)
		}
	}
	if err := m.DisableNUMA(); err != nil {
		t.Fatal(err)
	}
	if on, _ := m.NUMAEnabled(); on {
		t.Error("NUMA still on after DisableNUMA")
	}
}

func TestErrorsCarryCodeAndMessage(t *testing.T) {
	m := newSynthetic(t)
	err := m.EnableNUMA(3) // the synthetic host has 4 nodes
	if !errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound) {
		t.Fatalf("EnableNUMA(3) = %v, want ErrInvalid", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != -1 || !strings.Contains(e.Message, "4 NUMA nodes") {
		t.Fatalf("error detail: %#v", e)
	}
	if err := m.EnableNUMA(4); err != nil {
		t.Fatalf("EnableNUMA(4): %v", err)
	}

	_, err = New(&Options{XML: "/nonexistent/topology.xml"})
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing XML: %v", err)
	}
	_, err = New(&Options{Synthetic: "pack:banana"})
	if !errors.Is(err, ErrParse) {
		t.Errorf("bad synthetic: %v", err)
	}
}

func TestClosedManager(t *testing.T) {
	m := newSynthetic(t)
	topo, err := m.Topology()
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	m.Close() // idempotent
	if err := m.SetupFull(); !errors.Is(err, ErrState) {
		t.Errorf("SetupFull after Close: %v", err)
	}
	if _, err := topo.Count(ObjPU); !errors.Is(err, ErrState) {
		t.Errorf("borrowed topology after Close: %v", err)
	}
}

func TestTopology(t *testing.T) {
	topo, err := newSynthetic(t).Topology()
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := topo.Count(ObjPU); n != 32 {
		t.Errorf("PUs = %d, want 32", n)
	}
	if n, _ := topo.Count(ObjNUMANode); n != 4 {
		t.Errorf("nodes = %d, want 4", n)
	}
	cpus, err := topo.ObjectCPUs(ObjNUMANode, 1)
	want := []uint32{8, 9, 10, 11, 12, 13, 14, 15}
	if err != nil || !reflect.DeepEqual(cpus, want) {
		t.Errorf("node 1 CPUs = %v, %v", cpus, err)
	}
	if d, _ := topo.Distance(0, 0); d != 10 {
		t.Errorf("local distance %d", d)
	}
	pu, err := topo.PU(9)
	if err != nil || pu.OSIndex != 9 || pu.NUMANode != 1 || pu.L3 != NoIndex || !pu.Allowed {
		t.Errorf("PU 9 = %+v, %v", pu, err)
	}
	if _, err := topo.PU(32); !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrRange) {
		t.Errorf("PU 32: %v", err)
	}
	allowed, _ := topo.AllowedCPUs()
	if len(allowed) != 32 {
		t.Errorf("allowed = %v", allowed)
	}
	r, err := topo.Report()
	if err != nil || len(r.GetNumaNodes()) != 4 || r.GetSource() != "synthetic:"+paritySynthetic {
		t.Errorf("topology report: %v, %v", r, err)
	}
}

func TestReportDecodes(t *testing.T) {
	m := newSynthetic(t)
	if err := m.SetupFull(); err != nil {
		t.Fatal(err)
	}
	r, err := m.Report()
	if err != nil {
		t.Fatal(err)
	}
	if !r.GetManager().GetNumaEnabled() || len(r.GetTopology().GetPus()) != 32 {
		t.Errorf("report: %v", r.GetManager())
	}
	if len(r.GetHypervisors()) != 3 || r.GetIommu().GetPresent() {
		t.Errorf("probes under a missing root: %v %v", r.GetHypervisors(), r.GetIommu())
	}
	js, err := m.ReportBytes(FormatJSON)
	if err != nil || !bytes.Contains(js, []byte(`"numaEnabled"`)) {
		t.Errorf("JSON report: %s, %v", js, err)
	}
}

// TestParity: the same scenario through the C CLI and through Go gives the
// same protobuf bytes.
func TestParity(t *testing.T) {
	cli := os.Getenv("VMACCEL_CLI")
	if cli == "" {
		t.Skip("VMACCEL_CLI (the vmaccel binary) not set; run through bindings/go/test.sh")
	}
	t.Setenv("VMACCEL_REPORT_TIMESTAMP", parityTimestamp)
	m := newSynthetic(t)
	if err := m.SetupFull(); err != nil {
		t.Fatal(err)
	}
	goBytes, err := m.ReportBytes(FormatProtobuf)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cli, "report", "--format", "pb", "--setup-full",
		"--synthetic", paritySynthetic, "--sysfs", parityRoot, "--devfs", parityRoot,
		"--devicetree", parityRoot)
	cBytes, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	if !bytes.Equal(goBytes, cBytes) {
		t.Fatalf("Go report (%d bytes) differs from C report (%d bytes)", len(goBytes), len(cBytes))
	}
	var r vmaccelpb.DiagnosticReport
	if err := proto.Unmarshal(goBytes, &r); err != nil || r.GetTimestampNs() != 1700000000000000000 {
		t.Fatalf("timestamp not fixed: %d, %v", r.GetTimestampNs(), err)
	}
}

// The planner scenario shared with tests/python/test_parity.py: fixed VMs
// (`vmaccel plan --vms 4x8,2x16`, added in that order) on the synthetic host.
const parityPlanVMs = "4x8,2x16"

var (
	parityPlanSizes = []uint{8, 8, 8, 8, 16, 16}
	paritySMT       = map[SMTPolicy]string{SMTSpread: "spread", SMTPack: "pack", SMTOnePerCore: "one-per-core"}
)

func goPlan(t *testing.T, s Strategy, smt SMTPolicy) []byte {
	t.Helper()
	topo, err := LoadTopology(&TopologyOptions{Synthetic: paritySynthetic})
	if err != nil {
		t.Fatal(err)
	}
	defer topo.Close()
	plan, err := NewPlan(topo, PlanOptions{Strategy: s, SMT: smt})
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	for _, n := range parityPlanSizes {
		if _, err := plan.AddVM(n, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := plan.Compute(); err != nil {
		t.Fatal(err)
	}
	b, err := plan.ReportBytes(FormatProtobuf)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPlanParity: the planner with fixed VMs gives the same protobuf bytes
// from the C CLI and from Go, for every strategy and SMT policy.
func TestPlanParity(t *testing.T) {
	cli := os.Getenv("VMACCEL_CLI")
	if cli == "" {
		t.Skip("VMACCEL_CLI (the vmaccel binary) not set; run through bindings/go/test.sh")
	}
	seen := map[string]Strategy{}
	for _, s := range []Strategy{LocalFirst, LoadBalanced, BandwidthOptimized, Adaptive} {
		for smt, smtName := range paritySMT {
			cmd := exec.Command(cli, "plan", "--synthetic", paritySynthetic, "--vms", parityPlanVMs,
				"--strategy", s.String(), "--smt", smtName, "--format", "pb")
			cBytes, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v", cmd, err)
			}
			goBytes := goPlan(t, s, smt)
			if !bytes.Equal(goBytes, cBytes) {
				t.Errorf("%v/%s: Go plan (%d bytes) differs from C plan (%d bytes)", s, smtName, len(goBytes), len(cBytes))
			}
			var r vmaccelpb.DiagnosticReport
			if err := proto.Unmarshal(goBytes, &r); err != nil || len(r.GetPlacements()) != len(parityPlanSizes) {
				t.Fatalf("%v/%s: %d placements, %v", s, smtName, len(r.GetPlacements()), err)
			}
			for i, p := range r.GetPlacements() {
				if uint(len(p.GetVcpus())) != parityPlanSizes[i] || p.GetVmId() != uint64(i) {
					t.Errorf("%v/%s: placement %d: VM %d with %d vCPUs", s, smtName, i, p.GetVmId(), len(p.GetVcpus()))
				}
			}
			if smt == SMTSpread {
				seen[string(goBytes)] = s
			}
		}
	}
	if len(seen) < 3 { // the strategies really place differently
		t.Errorf("only %d distinct plans from 4 strategies", len(seen))
	}
}

func TestConcurrentCallsAndClose(t *testing.T) {
	m := newSynthetic(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if _, err := m.ReportBytes(FormatProtobuf); err != nil && !errors.Is(err, ErrState) {
					t.Error(err)
					return
				}
				if err := m.EnableNUMA(3); err == nil {
					t.Error("EnableNUMA(3) succeeded")
					return
				}
			}
		}()
	}
	m.Close()
	wg.Wait()
}

func TestSentinelCodesMatchLibrary(t *testing.T) {
	pairs := map[error]capi.Enum_SS_vmaccel_error{
		ErrInvalid: capi.VMACCEL_EINVAL, ErrNoMemory: capi.VMACCEL_ENOMEM,
		ErrNotSupported: capi.VMACCEL_ENOTSUP, ErrNotFound: capi.VMACCEL_ENOENT,
		ErrPermission: capi.VMACCEL_EPERM, ErrState: capi.VMACCEL_ESTATE,
		ErrIO: capi.VMACCEL_EIO, ErrParse: capi.VMACCEL_EPARSE,
		ErrTimeout: capi.VMACCEL_ETIMEDOUT, ErrGone: capi.VMACCEL_EGONE,
		ErrBusy: capi.VMACCEL_EBUSY, ErrRange: capi.VMACCEL_ERANGE,
		ErrAgain: capi.VMACCEL_EAGAIN, ErrFault: capi.VMACCEL_EFAULT,
	}
	for s, c := range pairs {
		if s.(*sentinel).code != int(c) {
			t.Errorf("%v: code %d, library %d", s, s.(*sentinel).code, c)
		}
	}
}

func TestEnumsMatchLibrary(t *testing.T) {
	check := func(name string, got, want int) {
		if got != want {
			t.Errorf("%s = %d, library %d", name, got, want)
		}
	}
	check("FormatText", int(FormatText), int(capi.VMACCEL_FORMAT_TEXT))
	check("FormatJSON", int(FormatJSON), int(capi.VMACCEL_FORMAT_JSON))
	check("ObjNUMANode", int(ObjNUMANode), int(capi.VMACCEL_OBJ_NUMA_NODE))
	check("ObjPU", int(ObjPU), int(capi.VMACCEL_OBJ_PU))
	check("ObjL3Cache", int(ObjL3Cache), int(capi.VMACCEL_OBJ_L3_CACHE))
	check("ComponentNUMA", int(ComponentNUMA), int(capi.VMACCEL_COMPONENT_NUMA))
	check("len(Components)", len(Components), int(capi.VMACCEL_COMPONENT_COUNT_))
	check("ComponentSkipped", int(ComponentSkipped), int(capi.VMACCEL_COMPONENT_SKIPPED))
	check("HypervisorWHPX", int(HypervisorWHPX), int(capi.VMACCEL_HV_WHPX))
	check("HvNotApplicable", int(HvNotApplicable), int(capi.VMACCEL_HV_NOT_APPLICABLE))
	check("IOMMUOther", int(IOMMUOther), int(capi.VMACCEL_IOMMU_OTHER))
	check("NoIndex", int(NoIndex), int(capi.VMACCEL_NO_INDEX))
	check("NUMAFixCheaper", int(NUMAFixCheaper), int(capi.VMACCEL_NUMA_FIX_CHEAPER))
	check("NUMAFixMoveVCPUs", int(NUMAFixMoveVCPUs), int(capi.VMACCEL_NUMA_FIX_MOVE_VCPUS))
	check("NUMAFixMigrateMemory", int(NUMAFixMigrateMemory), int(capi.VMACCEL_NUMA_FIX_MIGRATE_MEMORY))
	check("LocalityNone", int(LocalityNone), int(capi.VMACCEL_LOCALITY_NONE))
	check("LocalityNUMAFaults", int(LocalityNUMAFaults), int(capi.VMACCEL_LOCALITY_NUMA_FAULTS))
	check("LocalityPagePlacement", int(LocalityPagePlacement), int(capi.VMACCEL_LOCALITY_PAGE_PLACEMENT))
	check("AllocLocal", int(AllocLocal), int(capi.VMACCEL_ALLOC_LOCAL))
	check("AllocOnNode", int(AllocOnNode), int(capi.VMACCEL_ALLOC_ONNODE))
	check("AllocInterleave", int(AllocInterleave), int(capi.VMACCEL_ALLOC_INTERLEAVE))
	check("OriginCgroup", int(OriginCgroup), int(capi.VMACCEL_ORIGIN_CGROUP))
	check("OriginAffinity", int(OriginAffinity), int(capi.VMACCEL_ORIGIN_AFFINITY))
	check("OriginLibvirt", int(OriginLibvirt), int(capi.VMACCEL_ORIGIN_LIBVIRT))
	check("OriginQEMU", int(OriginQEMU), int(capi.VMACCEL_ORIGIN_QEMU))
	check("ControlLibvirt", int(ControlLibvirt), int(capi.VMACCEL_CONTROL_LIBVIRT))
	check("DiscoveryQMP", int(DiscoveryQMP), int(capi.VMACCEL_DISCOVERY_QMP))
	check("DiscoveryLibvirtMonitor", int(DiscoveryLibvirtMonitor), int(capi.VMACCEL_DISCOVERY_LIBVIRT_MONITOR))
}

// TestGeneratedProtoIsCurrent regenerates vmaccelpb with gen.sh and compares
// it with the committed file (the protoc version line may differ).
func TestGeneratedProtoIsCurrent(t *testing.T) {
	if _, err := exec.LookPath("protoc"); err != nil {
		t.Fatal("protoc not found (Debian package protobuf-compiler)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("./gen.sh", dir).CombinedOutput(); err != nil {
		t.Fatalf("gen.sh: %v\n%s", err, out)
	}
	strip := func(b []byte) string {
		var keep []string
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(l, "// \tprotoc ") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	fresh, err := os.ReadFile(filepath.Join(dir, "vmaccelpb", "vmaccel.pb.go"))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("vmaccelpb", "vmaccel.pb.go"))
	if err != nil {
		t.Fatal(err)
	}
	if strip(fresh) != strip(committed) {
		t.Fatal("vmaccelpb/vmaccel.pb.go is stale: run bindings/go/gen.sh and commit it")
	}
}
