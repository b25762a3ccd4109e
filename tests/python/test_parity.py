"""The same scenarios through the C CLI and through Python give the same
protobuf bytes (bindings/go/vmaccel_test.go checks Go against the CLI):
  - a manager's report after setup_full, no VMs;
  - the planner with fixed VMs (4 of 8 vCPUs, 2 of 16) on a synthetic
    topology, for every strategy and SMT policy (`vmaccel plan`)."""
import os
import subprocess

import pytest

import vmaccel
from conftest import ROOT, SYNTHETIC, TIMESTAMP

# `vmaccel plan --vms 4x8,2x16`: the VMs in the order the CLI adds them.
PLAN_VMS = "4x8,2x16"
PLAN_SIZES = [8, 8, 8, 8, 16, 16]
SMT_NAMES = {vmaccel.SmtPolicy.SPREAD: "spread", vmaccel.SmtPolicy.PACK: "pack",
             vmaccel.SmtPolicy.ONE_PER_CORE: "one-per-core"}


@pytest.fixture
def cli():
    path = os.environ.get("VMACCEL_CLI")
    if not path:
        pytest.skip("VMACCEL_CLI (the vmaccel binary) not set; run through ctest")
    return path


def test_python_report_bytes_equal_c(manager, monkeypatch, cli):
    monkeypatch.setenv("VMACCEL_REPORT_TIMESTAMP", TIMESTAMP)
    manager.setup_full()
    py = manager.report_bytes(vmaccel.Format.PROTOBUF)
    c = subprocess.run([cli, "report", "--format", "pb", "--setup-full",
                        "--synthetic", SYNTHETIC, "--sysfs", ROOT, "--devfs", ROOT,
                        "--devicetree", ROOT], check=True, capture_output=True).stdout
    assert py == c
    assert vmaccel.pb.DiagnosticReport.FromString(py).timestamp_ns == int(TIMESTAMP)


def python_plan(strategy, smt):
    with vmaccel.Topology.load(synthetic=SYNTHETIC) as topo, \
            vmaccel.Plan(topo, strategy, smt) as plan:
        for vcpus in PLAN_SIZES:
            plan.add_vm(vcpus)
        plan.compute()
        return plan.report_bytes(vmaccel.Format.PROTOBUF)


def c_plan(cli, strategy, smt):
    return subprocess.run([cli, "plan", "--synthetic", SYNTHETIC, "--vms", PLAN_VMS,
                           "--strategy", vmaccel.strategy_name(strategy),
                           "--smt", SMT_NAMES[smt], "--format", "pb"],
                          check=True, capture_output=True).stdout


@pytest.mark.parametrize("smt", list(vmaccel.SmtPolicy), ids=lambda s: s.name.lower())
@pytest.mark.parametrize("strategy", list(vmaccel.Strategy), ids=lambda s: s.name.lower())
def test_python_plan_bytes_equal_c(cli, strategy, smt):
    py, c = python_plan(strategy, smt), c_plan(cli, strategy, smt)
    assert py == c
    r = vmaccel.pb.DiagnosticReport.FromString(py)
    assert [len(p.vcpus) for p in r.placements] == PLAN_SIZES
    assert [p.vm_id for p in r.placements] == list(range(len(PLAN_SIZES)))
    assert len(r.topology.pus) == 32


def test_plan_scenario_tells_strategies_apart(cli):
    """The comparison above is not vacuous: the strategies place differently."""
    smt = vmaccel.SmtPolicy.SPREAD
    plans = {s: c_plan(cli, s, smt) for s in vmaccel.Strategy}
    assert plans[vmaccel.Strategy.LOCAL_FIRST] != plans[vmaccel.Strategy.LOAD_BALANCED]
    assert plans[vmaccel.Strategy.LOAD_BALANCED] != plans[vmaccel.Strategy.BANDWIDTH_OPTIMIZED]
