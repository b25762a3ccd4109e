// Command vmwatch is an orchestrator-style watcher: it attaches several
// running VMMs, pins their vCPUs, runs the manager's NUMA balancing loop
// and serves what it sees as Prometheus metrics on a local port:
// placements, locality, rebalance counts, IOTLB hit rates, event counts.
// On a host with one NUMA node the engine runs anyway, to report locality.
//
//	go run ./vmwatch -listen 127.0.0.1:9464 -pid 4242 -pid 4343 [-pin local-first] [-interval 1000]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	vmaccel "github.com/vm-accel/vmaccel/bindings/go"
	"github.com/vm-accel/vmaccel/bindings/go/vmaccelpb"
)

type pidList []int

func (p *pidList) String() string { return fmt.Sprint(*p) }
func (p *pidList) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err == nil {
		*p = append(*p, n)
	}
	return err
}

func main() {
	var pids pidList
	listen := flag.String("listen", "127.0.0.1:9464", "address to serve /metrics on")
	pin := flag.String("pin", "local-first", `strategy to pin vCPUs with ("" to leave them alone)`)
	interval := flag.Uint("interval", 0, "NUMA engine period in ms (0: the library's 1000)")
	flag.Var(&pids, "pid", "a VMM process to watch (repeatable)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	w, err := start(ctx, *listen, pids, *pin, &vmaccel.NUMAOptions{IntervalMS: *interval})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("serving http://%s/metrics", w.addr)
	<-ctx.Done()
	w.close()
}

// watcher holds the manager, the VMs and the HTTP server.
type watcher struct {
	m      *vmaccel.Manager
	vms    []*vmaccel.VM
	srv    *http.Server
	addr   string
	events *prometheus.CounterVec
}

// start attaches the VMs, starts the runtime and serves metrics on addr
// (port 0 picks one; w.addr says which).
func start(ctx context.Context, addr string, pids []int, strategy string, numa *vmaccel.NUMAOptions) (*watcher, error) {
	m, err := vmaccel.New(nil)
	if err != nil {
		return nil, err
	}
	w := &watcher{m: m,
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vmaccel_events_total", Help: "Events seen, by type."}, []string{"type"}),
	}
	fail := func(err error) (*watcher, error) { m.Close(); return nil, err }
	if err := m.SetupFull(); err != nil {
		return fail(err)
	}
	if on, _ := m.NUMAEnabled(); !on { // one node: nothing to fix, locality still measured
		topo, _ := m.Topology()
		nodes, _ := topo.Count(vmaccel.ObjNUMANode)
		if err := m.EnableNUMA(nodes); err != nil {
			return fail(err)
		}
	}
	if err := m.ConfigureNUMA(numa); err != nil {
		return fail(err)
	}
	go w.countEvents(ctx)
	for _, pid := range pids {
		vm, err := m.Attach(pid, nil)
		if err != nil {
			return fail(fmt.Errorf("attach %d: %w", pid, err))
		}
		w.vms = append(w.vms, vm)
		if strategy != "" {
			s, err := vmaccel.ParseStrategy(strategy)
			if err != nil {
				return fail(err)
			}
			if err := vm.Pin(vmaccel.PinOptions{Strategy: s}); err != nil {
				log.Printf("pin %d: %v", pid, err) // per-thread results are in the metrics
			}
		}
	}
	if err := m.Start(); err != nil {
		return fail(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(w.events, &reportCollector{m: m, vms: w.vms})
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fail(err)
	}
	w.addr = ln.Addr().String()
	w.srv = &http.Server{Handler: mux}
	go w.srv.Serve(ln)
	return w, nil
}

func (w *watcher) close() {
	w.srv.Close()
	for _, vm := range w.vms {
		vm.RestoreAffinity()
	}
	w.m.Close()
}

// countEvents reads the manager's event channel (fed from the pull queue:
// no Go code runs on the library's loop thread).
func (w *watcher) countEvents(ctx context.Context) {
	// Every type is exported from the start, at 0 until it happens.
	for t := range vmaccelpb.EventType_name {
		if t != 0 {
			w.events.WithLabelValues(vmaccelpb.EventType(t).String())
		}
	}
	for ev := range w.m.Events(ctx) {
		w.events.WithLabelValues(ev.GetType().String()).Inc()
	}
}

// reportCollector turns the manager's DiagnosticReport and the NUMA
// engine's per-VM view into metrics at each scrape.
type reportCollector struct {
	m   *vmaccel.Manager
	vms []*vmaccel.VM
}

var (
	descVM = prometheus.NewDesc("vmaccel_vm_info", "A watched VM.",
		[]string{"vm_id", "name", "pid"}, nil)
	descVCPUs   = prometheus.NewDesc("vmaccel_vm_vcpus", "vCPUs of a VM.", []string{"vm_id"}, nil)
	descVCPUCPU = prometheus.NewDesc("vmaccel_vcpu_cpu", "CPU a vCPU last ran on.",
		[]string{"vm_id", "vcpu"}, nil)
	descPlaced = prometheus.NewDesc("vmaccel_placement_cpu", "CPU a vCPU is placed on.",
		[]string{"vm_id", "vcpu", "numa_node"}, nil)
	descLocal = prometheus.NewDesc("vmaccel_vm_local_rate",
		"Share of a VM's memory accesses that are NUMA-local (0..1).", []string{"vm_id", "source"}, nil)
	descRebalances = prometheus.NewDesc("vmaccel_vm_rebalances_total",
		"Fixes the NUMA engine applied to a VM (vcpu_move, memory_migration) or that failed.",
		[]string{"vm_id", "kind"}, nil)
	descPages = prometheus.NewDesc("vmaccel_vm_pages_migrated_total",
		"Guest pages the NUMA engine migrated.", []string{"vm_id"}, nil)
	descSamples = prometheus.NewDesc("vmaccel_vm_numa_samples_total",
		"NUMA engine periods that observed a VM.", []string{"vm_id"}, nil)
	descIOTLB = prometheus.NewDesc("vmaccel_smmu_iotlb_hit_ratio",
		"IOTLB hits / lookups of an SMMU stream.", []string{"sid"}, nil)
	descDropped = prometheus.NewDesc("vmaccel_event_queue_dropped",
		"Events dropped from the pull queue (full).", nil, nil)
)

func (c *reportCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descVM, descVCPUs, descVCPUCPU, descPlaced, descLocal,
		descRebalances, descPages, descSamples, descIOTLB, descDropped} {
		ch <- d
	}
}

func (c *reportCollector) Collect(ch chan<- prometheus.Metric) {
	r, err := c.m.Report()
	if err != nil {
		log.Printf("report: %v", err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, vm := range r.GetVms() {
		id := strconv.FormatUint(vm.GetId(), 10)
		gauge(descVM, 1, id, vm.GetName(), strconv.Itoa(int(vm.GetPid())))
		gauge(descVCPUs, float64(len(vm.GetVcpus())), id)
		for _, v := range vm.GetVcpus() {
			gauge(descVCPUCPU, float64(v.GetCpu()), id, strconv.Itoa(int(v.GetIndex())))
		}
	}
	for _, p := range r.GetPlacements() {
		id := strconv.FormatUint(p.GetVmId(), 10)
		for _, v := range p.GetVcpus() {
			gauge(descPlaced, float64(v.GetCpu()), id, strconv.Itoa(int(v.GetVcpu())),
				strconv.Itoa(int(v.GetNumaNode())))
		}
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, vm := range c.vms {
		info, err := vm.Info()
		if err != nil {
			continue
		}
		loc, err := vm.Locality() // ErrNotFound until the engine's first period
		if err != nil {
			continue
		}
		id := strconv.FormatUint(info.ID, 10)
		if loc.Source != vmaccel.LocalityNone {
			gauge(descLocal, loc.LocalRate, id, loc.Source.String())
		}
		counter(descRebalances, loc.VCPUMoves, id, "vcpu_move")
		counter(descRebalances, loc.MemoryMigrations, id, "memory_migration")
		counter(descRebalances, loc.Failures, id, "failure")
		counter(descPages, loc.PagesMigrated, id)
		counter(descSamples, loc.Samples, id)
	}
	for _, s := range r.GetSmmu().GetStreams() {
		if n := s.GetHits() + s.GetMisses(); n > 0 {
			gauge(descIOTLB, float64(s.GetHits())/float64(n), strconv.Itoa(int(s.GetSid())))
		}
	}
	if st, err := c.m.EventStats(); err == nil {
		gauge(descDropped, float64(st.QueueDropped))
	}
}
