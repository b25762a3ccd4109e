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


def guest_memory():
    mem = vmaccel.GuestMemory(0, 0x10000)
    l1, l2, l3 = TABLE, TABLE + 0x1000, TABLE + 0x2000
    mem.write_u64(l1 + 8 * level_index(IOVA, 1), l2 | VALID_TABLE)
    mem.write_u64(l2 + 8 * level_index(IOVA, 2), l3 | VALID_TABLE)
    mem.write_u64(l3 + 8 * level_index(IOVA, 3), PAGE_OUT | VALID_TABLE | AF | AP_RW_ANY)
    return mem


@pytest.fixture
def smmu():
    with vmaccel.Smmu(iotlb_entries=64) as s:
        s.use_memory(guest_memory())
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


def test_the_managers_model_keeps_what_its_callbacks_point_into(manager):
    """The manager's model outlives the Smmu wrapper that set its memory
    and endpoint: they must stay alive as long as the manager."""
    import gc
    import weakref
    manager.init_smmu()
    mem, ep = guest_memory(), vmaccel.SmmuEndpoint()
    manager.smmu.use_memory(mem)
    manager.smmu.use_endpoint(ep)
    refs = [weakref.ref(mem), weakref.ref(ep)]
    del mem, ep
    gc.collect()
    assert all(r() is not None for r in refs)
    manager.smmu.attach(7, vmaccel.SmmuMode.S1, s1_ttb0=TABLE, s1_t0sz=25,
                        s1_granule0=4096, asid=1)
    assert manager.smmu.translate(7, IOVA).pa == PAGE_OUT | (IOVA & 0xFFF)


def test_guest_memory_round_trip():
    mem = vmaccel.GuestMemory(0x4000, 64)
    mem.write(0x4010, bytearray(b"abc"))
    assert mem.read(0x400F, 5) == b"\0abc\0"


# ---- The SVA side: HTTU, stalls, ATS with ATC invalidation, PRI ----------
# Queues in the same guest memory, programmed through MMIO as a guest
# driver would (IHI 0070 chapter 6 register offsets, chapter 4 commands).
CR0, CMDQ_BASE, CMDQ_PROD, CMDQ_CONS = 0x20, 0x90, 0x98, 0x9C
EVENTQ_BASE, EVENTQ_PROD, EVENTQ_CONS = 0xA0, 0x100A8, 0x100AC
PRIQ_BASE, PRIQ_PROD, PRIQ_CONS = 0xC0, 0x100C8, 0x100CC
SMMUEN, PRIQEN, EVENTQEN, CMDQEN, ATSCHK = 1, 2, 4, 8, 16
CQ, EQ, PQ = 0x8000, 0x9000, 0xA000   # 16 commands, 4 events, 4 page requests
DBM, AP2 = 1 << 51, 1 << 7            # dirty bit modifier; AP[2]: read-only
L3 = TABLE + 0x2000
UNMAPPED = IOVA + 0x1000              # the next L3 slot, invalid


class Guest:
    """The fixture's tables plus queues; SID 7 stage 1 (the attach() fields
    given), enabled with SMMUEN | EVENTQEN | CMDQEN | extra."""

    def __init__(self, mem, smmu, cr0=0):
        self.mem, self.smmu = mem, smmu
        for base, reg, log2 in ((CQ, CMDQ_BASE, 4), (EQ, EVENTQ_BASE, 2), (PQ, PRIQ_BASE, 2)):
            smmu.mmio_write(reg, base | log2, 8)
        self.cr0 = SMMUEN | EVENTQEN | CMDQEN | cr0
        smmu.mmio_write(CR0, self.cr0)

    def attach(self, sid, **fields):
        self.smmu.attach(sid, vmaccel.SmmuMode.S1, s1_ttb0=TABLE, s1_t0sz=25,
                         s1_granule0=4096, asid=1, **fields)

    def command(self, d0, d1=0):
        prod = self.smmu.mmio_read(CMDQ_PROD)
        self.mem.write_u64(CQ + 16 * (prod & 15), d0)
        self.mem.write_u64(CQ + 16 * (prod & 15) + 8, d1)
        self.smmu.mmio_write(CMDQ_PROD, (prod + 1) & 31)

    def event(self, i):
        return [self.mem.read_u64(EQ + 32 * i + 8 * d) for d in range(4)]


@pytest.fixture
def guest():
    mem = guest_memory()
    with vmaccel.Smmu(iotlb_entries=64) as s:
        s.use_memory(mem)
        yield Guest(mem, s)


def test_translate_many_stops_at_the_first_fault(smmu):
    ts = smmu.translate_many(7, [IOVA, IOVA + 8, IOVA + 0x100], vmaccel.Access.READ)
    assert [t.pa for t in ts] == [PAGE_OUT | (a & 0xFFF) for a in (IOVA, IOVA + 8, IOVA + 0x100)]
    assert smmu.translate_many(7, []) == []
    with pytest.raises(vmaccel.BatchFault) as info:
        smmu.translate_many(7, [IOVA, UNMAPPED, IOVA])
    assert [t.pa for t in info.value.translated] == [PAGE_OUT | (IOVA & 0xFFF)]
    assert info.value.fault.event == vmaccel.SmmuEvent.F_TRANSLATION
    assert info.value.fault.input_addr == UNMAPPED


def test_hardware_sets_the_access_flag_and_marks_pages_dirty(guest):
    slot = L3 + 8 * level_index(IOVA, 3)
    guest.mem.write_u64(slot, PAGE_OUT | VALID_TABLE | DBM | AP2 | AP_RW_ANY)  # AF=0, clean
    guest.attach(7, s1_ha=True, s1_hd=True)
    guest.smmu.translate(7, IOVA, vmaccel.Access.READ)
    assert guest.mem.read_u64(slot) == PAGE_OUT | VALID_TABLE | DBM | AP2 | AP_RW_ANY | AF
    guest.smmu.translate(7, IOVA, vmaccel.Access.WRITE)
    assert guest.mem.read_u64(slot) == PAGE_OUT | VALID_TABLE | DBM | AP_RW_ANY | AF  # dirty


def test_a_stalled_dma_resumes_after_the_guest_maps_the_page(guest):
    import threading
    guest.attach(7, s1_stall=True)
    with pytest.raises(vmaccel.TransactionStalled) as info:
        guest.smmu.translate_stallable(7, UNMAPPED, vmaccel.Access.WRITE)
    stall = info.value
    assert stall.fault.event == vmaccel.SmmuEvent.F_TRANSLATION and stall.code == -13
    rec = guest.event(0)
    assert rec[0] & 0xFF == 0x10 and rec[1] >> 31 & 1 and rec[2] == UNMAPPED  # STALL=1
    assert guest.smmu.stall_wait(stall.stall_id, timeout_ms=0) == vmaccel.StallEnd.PENDING
    ends = []
    waiter = threading.Thread(target=lambda: ends.append(guest.smmu.stall_wait(stall.stall_id)))
    waiter.start()                      # blocks without the GIL
    guest.mem.write_u64(L3 + 8 * level_index(UNMAPPED, 3),
                        PAGE_OUT | 0x1000 | VALID_TABLE | AF | AP_RW_ANY)
    guest.command(0x44 | 1 << 12 | 7 << 32, rec[1] & 0xFFFF)  # CMD_RESUME retry, STAG
    waiter.join(timeout=30)
    assert ends == [vmaccel.StallEnd.RETRY]
    t = guest.smmu.translate_stallable(7, UNMAPPED, vmaccel.Access.WRITE)
    assert t.pa == PAGE_OUT | 0x1000 | (UNMAPPED & 0xFFF)
    with pytest.raises(vmaccel.NotFound):
        guest.smmu.stall_wait(stall.stall_id, timeout_ms=0)  # already collected


def test_ats_honours_eats_and_atschk(guest):
    guest.attach(7)                     # STE.EATS = 0
    guest.attach(8, eats=1)
    rw = vmaccel.Access.READ | vmaccel.Access.WRITE
    c = guest.smmu.ats_translate(8, IOVA, rw)
    assert c == vmaccel.AtsCompletion(vmaccel.AtsStatus.SUCCESS, PAGE_OUT, 4096, rw)
    denied = guest.smmu.ats_translate(8, UNMAPPED)
    assert denied.status == vmaccel.AtsStatus.SUCCESS and denied.perm == vmaccel.Access.NONE
    assert guest.smmu.ats_translate(7, IOVA).status == vmaccel.AtsStatus.UR
    assert guest.event(0)[0] & 0xFF == vmaccel.SmmuEvent.F_BAD_ATS_TREQ
    assert guest.smmu.ats_translated(7, PAGE_OUT)          # ATSCHK == 0: unchecked
    guest.smmu.mmio_write(CR0, guest.cr0 | ATSCHK)
    assert not guest.smmu.ats_translated(7, PAGE_OUT)
    assert guest.event(1)[0] & 0xFF == vmaccel.SmmuEvent.F_TRANSL_FORBIDDEN
    assert guest.smmu.ats_translated(8, PAGE_OUT, vmaccel.Access.WRITE)


def test_cmd_sync_waits_for_the_endpoint_to_invalidate_its_atc(guest):
    ep = vmaccel.SmmuEndpoint()
    guest.smmu.use_endpoint(ep)
    guest.command(0x40 | 8 << 32, IOVA & ~0xFFF)            # CMD_ATC_INV, 4 KiB
    guest.command(0x46)                                      # CMD_SYNC
    inv, = ep.messages()
    assert (inv.sid, inv.ssid, inv.global_, inv.addr, inv.log2size) == \
        (8, None, False, IOVA & ~0xFFF, 12)
    assert guest.smmu.mmio_read(CMDQ_CONS) == 1              # held at the CMD_SYNC
    guest.smmu.atc_inv_done(inv.id)
    assert guest.smmu.mmio_read(CMDQ_CONS) == 2
    with pytest.raises(vmaccel.NotFound):
        guest.smmu.atc_inv_done(inv.id)
    guest.command(0x40 | 8 << 32 | 1 << 11 | 5 << 12, 52)  # SSID 5, everything
    guest.command(0x46)
    inv, = ep.messages()
    assert (inv.ssid, inv.log2size) == (5, 64)
    guest.smmu.atc_inv_done(inv.id, ok=False)                # the endpoint timed out
    assert guest.smmu.mmio_read(CMDQ_CONS) == 3 | 3 << 24    # CERROR_ATC_INV_SYNC
    assert ep.dropped == 0


def test_page_requests_reach_the_pri_queue_and_the_answer_reaches_the_endpoint(guest):
    ep = vmaccel.SmmuEndpoint()
    guest.smmu.use_endpoint(ep)
    rw = vmaccel.Access.READ | vmaccel.Access.WRITE
    assert guest.smmu.page_request(8, 0x5000, rw, prg_index=3) == vmaccel.PprOutcome.DISABLED
    assert list(ep.messages()) == [vmaccel.PrgResponse(8, None, 3, vmaccel.PrgCode.FAILURE, True)]
    guest.smmu.mmio_write(CR0, guest.cr0 | PRIQEN)
    assert guest.smmu.page_request(8, 0x5000, rw, prg_index=3) == vmaccel.PprOutcome.QUEUED
    assert guest.smmu.mmio_read(PRIQ_PROD) == 1
    d0, d1 = guest.mem.read_u64(PQ), guest.mem.read_u64(PQ + 8)
    assert d0 == 8 | 1 << 60 | 1 << 61 | 1 << 62 and d1 == 0x5000 | 3  # SID, R, W, L; PRGI
    guest.command(0x41 | 8 << 32, 3 | 2 << 12)               # CMD_PRI_RESP Success
    assert list(ep.messages()) == [vmaccel.PrgResponse(8, None, 3, vmaccel.PrgCode.SUCCESS, False)]
    with pytest.raises(vmaccel.InvalidArgument):
        guest.smmu.page_request(8, 0, prg_index=512)
