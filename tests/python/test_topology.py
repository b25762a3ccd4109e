import vmaccel
from conftest import SYNTHETIC

K = vmaccel.ObjectKind


def test_synthetic_counts_and_cpus(manager):
    t = manager.topology
    assert t.count(K.PACKAGE) == 2 and t.count(K.NUMA_NODE) == 4
    assert t.count(K.CORE) == 16 and t.count(K.PU) == 32
    assert t.object_cpus(K.NUMA_NODE, 1) == list(range(8, 16))
    assert t.object_cpus(K.PACKAGE, 1) == list(range(16, 32))
    assert t.allowed_cpus == list(range(32))


def test_pus_and_nodes(manager):
    t = manager.topology
    pu = t.pu(9)
    assert (pu.os_index, pu.core, pu.package, pu.numa_node) == (9, 4, 0, 1)
    assert pu.l3 is None and pu.allowed
    assert [n.pu_count for n in t.numa_nodes] == [8, 8, 8, 8]
    d = t.distances
    assert all(d[i][i] == 10 for i in range(4)) and d[0][1] > 10


def test_bad_index_raises(manager):
    try:
        manager.topology.pu(32)
    except (vmaccel.InvalidArgument, vmaccel.OutOfRange):
        pass
    else:
        raise AssertionError("pu(32) on a 32-PU topology did not fail")


def test_standalone_topology_and_allowed_cpus():
    with vmaccel.Topology.load(synthetic=SYNTHETIC, allowed_cpus="0-3,8") as t:
        assert t.allowed_cpus == [0, 1, 2, 3, 8]
        assert [p.allowed for p in t.pus[:5]] == [True] * 4 + [False]
        r = t.report()
        assert isinstance(r, vmaccel.pb.Topology)
        assert list(r.allowed_cpus) == [0, 1, 2, 3, 8]
