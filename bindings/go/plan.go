package vmaccel

import (
	"runtime"

	"github.com/vm-accel/vmaccel/bindings/go/internal/capi"
	"github.com/vm-accel/vmaccel/bindings/go/vmaccelpb"
	"google.golang.org/protobuf/proto"
)

// Strategy is a vCPU placement strategy (see capi/include/vmaccel/affinity.h).
type Strategy int

const (
	LocalFirst         Strategy = 0
	LoadBalanced       Strategy = 1
	BandwidthOptimized Strategy = 2
	Adaptive           Strategy = 3
)

func (s Strategy) String() string {
	return capi.Vmaccel_strategy_name(capi.Enum_SS_vmaccel_strategy(s))
}

// ParseStrategy parses "local-first", "load-balanced", ... (ErrInvalid).
func ParseStrategy(name string) (Strategy, error) {
	var s int32
	err := call("ParseStrategy", func() int { return capi.Vmaccel_strategy_parse(name, &s) })
	return Strategy(s), err
}

// SMTPolicy says what to do with SMT siblings.
type SMTPolicy int

const (
	SMTSpread     SMTPolicy = 0
	SMTPack       SMTPolicy = 1
	SMTOnePerCore SMTPolicy = 2
)

// PlanOptions configure NewPlan.
type PlanOptions struct {
	Strategy     Strategy
	SMT          SMTPolicy
	ReservedCPUs string // cpulist kept for the host, "" for none
}

// Plan places VMs' vCPUs on a topology without touching the OS. Use it
// from one goroutine at a time.
type Plan struct {
	h    capi.Struct_SS_vmaccel_plan
	topo *Topology
}

// NewPlan makes a plan on topo (which must stay open while the plan is used).
func NewPlan(topo *Topology, opts PlanOptions) (*Plan, error) {
	o := capi.NewVmaccel_plan_options()
	defer capi.DeleteVmaccel_plan_options(o)
	o.SetStrategy(capi.Enum_SS_vmaccel_strategy(opts.Strategy))
	o.SetSmt(capi.Enum_SS_vmaccel_smt_policy(opts.SMT))
	if opts.ReservedCPUs != "" {
		o.SetReserved_cpus(opts.ReservedCPUs)
	}
	var p uintptr
	err := topo.do("NewPlan", func(h capi.Struct_SS_vmaccel_topology) int {
		return capi.Vmaccel_plan_new(h, o, &p)
	})
	if err != nil {
		return nil, err
	}
	pl := &Plan{h: capi.SwigcptrStruct_SS_vmaccel_plan(p), topo: topo}
	runtime.SetFinalizer(pl, (*Plan).Close)
	return pl, nil
}

// Close frees the plan. Idempotent.
func (p *Plan) Close() error {
	if p.h != nil {
		capi.Vmaccel_plan_free(p.h)
		p.h = nil
		runtime.SetFinalizer(p, nil)
	}
	return nil
}

func (p *Plan) do(op string, f func(h capi.Struct_SS_vmaccel_plan) int) error {
	if p.h == nil {
		return ErrClosed
	}
	return p.topo.do(op, func(capi.Struct_SS_vmaccel_topology) int { return f(p.h) })
}

// AddVM adds a VM of vcpus vCPUs; memoryPerNode (bytes per logical node)
// may be nil. It returns the VM's index in the plan.
func (p *Plan) AddVM(vcpus uint, memoryPerNode []uint64) (uint, error) {
	var idx uint32
	err := p.do("AddVM", func(h capi.Struct_SS_vmaccel_plan) int {
		return capi.Vmaccel_plan_add_vm(h, vcpus, memoryPerNode, &idx)
	})
	return uint(idx), err
}

// Compute computes the placement.
func (p *Plan) Compute() error { return p.do("Compute", capi.Vmaccel_plan_compute) }

// VCPU says where vCPU vcpu of VM vm goes: OS CPU and logical NUMA node.
func (p *Plan) VCPU(vm, vcpu uint) (cpu, node uint, err error) {
	var c, n uint32
	err = p.do("VCPU", func(h capi.Struct_SS_vmaccel_plan) int {
		return capi.Vmaccel_plan_vcpu(h, vm, vcpu, &c, &n)
	})
	return uint(c), uint(n), err
}

// Score is the whole plan's score, or VM vm's (vm >= 0).
func (p *Plan) Score(vm int) (float64, error) {
	idx := uint(capi.VMACCEL_NO_INDEX)
	if vm >= 0 {
		idx = uint(vm)
	}
	var s float64
	err := p.do("Score", func(h capi.Struct_SS_vmaccel_plan) int {
		return capi.Vmaccel_plan_score(h, idx, &s)
	})
	return s, err
}

// ReportBytes returns the plan report (the topology and one Placement per
// VM) encoded in format.
func (p *Plan) ReportBytes(format Format) ([]byte, error) {
	var b []byte
	err := p.do("Report", func(h capi.Struct_SS_vmaccel_plan) int {
		return capi.Vmaccel_plan_report(h, capi.Enum_SS_vmaccel_format(format), &b)
	})
	return b, err
}

// Report returns the topology and one Placement per VM.
func (p *Plan) Report() (*vmaccelpb.DiagnosticReport, error) {
	b, err := p.ReportBytes(FormatProtobuf)
	if err != nil {
		return nil, err
	}
	r := &vmaccelpb.DiagnosticReport{}
	return r, proto.Unmarshal(b, r)
}
