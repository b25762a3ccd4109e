"""vCPU placement plans through Python, checked against the rules stated
in capi/include/vmaccel/affinity.h."""
import pytest

import vmaccel

S = vmaccel.Strategy


def node_cpus(topo, node):
    return set(topo.object_cpus(vmaccel.ObjectKind.NUMA_NODE, node))


def test_local_first_keeps_a_fitting_vm_in_one_node(manager):
    topo = manager.topology
    with vmaccel.Plan(topo, S.LOCAL_FIRST) as plan:
        vm = plan.add_vm(8)
        plan.compute()
        placement = plan.placement(vm, 8)
        assert len({p.numa_node for p in placement}) == 1
        node = placement[0].numa_node
        assert {p.cpu for p in placement} == node_cpus(topo, node)  # 8 PUs, one each
        assert 0.0 <= plan.score() <= 1.0 and plan.score(vm) == pytest.approx(plan.score())


def test_load_balanced_spreads_over_nodes(manager):
    with vmaccel.Plan(manager.topology, S.LOAD_BALANCED) as plan:
        vm = plan.add_vm(4)
        plan.compute()
        assert sorted(p.numa_node for p in plan.placement(vm, 4)) == [0, 1, 2, 3]


def test_reserved_cpus_are_never_used(manager):
    with vmaccel.Plan(manager.topology, S.LOCAL_FIRST, reserved_cpus="0-7") as plan:
        vm = plan.add_vm(16, memory_per_node=[1 << 30, 0, 0, 0])
        plan.compute()
        assert not {p.cpu for p in plan.placement(vm, 16)} & set(range(8))


def test_plan_report_has_one_placement_per_vm(manager):
    with vmaccel.Plan(manager.topology, S.BANDWIDTH_OPTIMIZED) as plan:
        plan.add_vm(4)
        plan.add_vm(2)
        plan.compute()
        r = plan.report()
        assert [len(p.vcpus) for p in r.placements] == [4, 2]
        assert [p.vm_id for p in r.placements] == [0, 1]


def test_plan_errors(manager):
    with vmaccel.Plan(manager.topology) as plan:
        with pytest.raises(vmaccel.StateError):
            plan.compute()  # no VM yet
        with pytest.raises(vmaccel.InvalidArgument):
            plan.add_vm(0)
        plan.add_vm(2)
        with pytest.raises(vmaccel.StateError):
            plan.vcpu(0, 0)  # not computed
    with pytest.raises(vmaccel.ParseError):
        vmaccel.Plan(manager.topology, reserved_cpus="banana")


def test_strategy_names_round_trip():
    for s in S:
        assert vmaccel.parse_strategy(vmaccel.strategy_name(s)) == s
    assert vmaccel.parse_strategy("load_balanced") == S.LOAD_BALANCED
    with pytest.raises(vmaccel.InvalidArgument):
        vmaccel.parse_strategy("fastest")
