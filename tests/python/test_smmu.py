"""The SMMUv3 model through Python: a stage-1 table built by hand from the
Arm VMSAv8-64 descriptor formats (4 KiB granule, 39-bit input: walks start
at level 1), translated through the binding's guest memory."""
import pytest

import vmaccel

TABLE, PAGE_OUT = 0x1000, 0x80000000
AF = 1 << 10            # access flag
AP_RW_ANY = 0b01 << 6   # AP[2:1] = 01: read/write at EL1 and EL0
VALID_TABLE = 0b11      # a table descriptor at levels 0-2, a page at level 3
IOVA = 0x12345678       # L1 index 0, L2 index 0x91, L3 index 0x145


def level_index(iova, level):
    return (iova >> (39 - 9 * level)) & 0x1FF


@pytest.fixture
def smmu():
    mem = vmaccel.GuestMemory(0, 0x10000)
    l1, l2, l3 = TABLE, TABLE + 0x1000, TABLE + 0x2000
    mem.write_u64(l1 + 8 * level_index(IOVA, 1), l2 | VALID_TABLE)
    mem.write_u64(l2 + 8 * level_index(IOVA, 2), l3 | VALID_TABLE)
    mem.write_u64(l3 + 8 * level_index(IOVA, 3), PAGE_OUT | VALID_TABLE | AF | AP_RW_ANY)
    with vmaccel.Smmu(iotlb_entries=64) as s:
        s.use_memory(mem)
        s.attach(7, vmaccel.SmmuMode.S1, s1_ttb0=TABLE, s1_t0sz=25,
                 s1_granule0=4096, asid=1)
        yield s


def test_translate_a_mapped_page(smmu):
    t = smmu.translate(7, IOVA, vmaccel.Access.READ | vmaccel.Access.WRITE)
    assert t.pa == PAGE_OUT | (IOVA & 0xFFF) and t.size == 4096
    assert t.perm & vmaccel.Access.READ and t.perm & vmaccel.Access.WRITE


def test_unmapped_address_faults_with_the_spec_record(smmu):
    iova = 0x40000000  # L1 index 1: an invalid descriptor
    with pytest.raises(vmaccel.TranslationFault) as info:
        smmu.translate(7, iova)
    f = info.value.fault
    assert f.event == vmaccel.SmmuEvent.F_TRANSLATION
    assert (f.stage, f.level, f.input_addr) == (1, 1, iova)
    assert isinstance(info.value, vmaccel.Fault) and info.value.code == -14


def test_iotlb_hits_and_invalidation(smmu):
    smmu.translate(7, IOVA)
    smmu.translate(7, IOVA + 8)
    s = smmu.stream_stats(7)
    assert s.sid == 7 and s.misses >= 1 and s.hits >= 1 and s.walks >= 1
    smmu.invalidate(vmaccel.InvalScope.ASID, vmid=0, asid=1)
    smmu.translate(7, IOVA)
    assert smmu.stream_stats(7).misses == s.misses + 1


def test_errors_from_bad_input(smmu):
    with pytest.raises(vmaccel.NotFound):
        smmu.detach(99)
    with pytest.raises(vmaccel.InvalidArgument):
        smmu.mmio_read(0, size=3)
    with pytest.raises(TypeError):
        smmu.attach(8, vmaccel.SmmuMode.S1, no_such_field=1)
    with pytest.raises(vmaccel.OutOfRange):
        vmaccel.GuestMemory(0, 16).write(12, b"12345678")


def test_guest_memory_round_trip():
    mem = vmaccel.GuestMemory(0x4000, 64)
    mem.write(0x4010, bytearray(b"abc"))
    assert mem.read(0x400F, 5) == b"\0abc\0"
