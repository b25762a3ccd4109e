"""SMMUv3 conformance vectors for what shared virtual addressing needs:
hardware Access flag and dirty state updates (IHI 0070 3.13), the Stall
model (3.12.2, 4.7), ATS (3.9.1), ATC invalidation (4.5.1) and the PRI
queue (chapter 8). Built with smmu_builder; the answers are the spec's.

Choices where the spec leaves the model a say (documented in the model):
a stall's STAG is the model's own (compared as '?'); a Translation Request
that faults answers with address 0, the STU size and no permission; the
replay's endpoint answers ATC invalidations as the scenario's "atc" says.
"""
from smmu_builder import (PageTable, bad_ats_treq, cd, cmd_atc_inv, cmd_pri_resp,
                          cmd_stall_term, cmd_sync, event_record, priq_record,
                          s1_leaf, s1_perm, s2_leaf, ste)
from vectors import ATSCHK, OUT, SMMUEN, Scenario, el0rw, fault, ok

AP_RW, AP_RO, AP_EL1_RO = 0b01, 0b11, 0b10


def read64(sc, addr, value):
    sc.step({"read64": hex(addr)}, {"value": hex(value)})


def httu_stage1():
    sc = Scenario("httu_s1")
    pt = sc.s1(1, 4096, 25, ha=1, hd=1)
    old = s1_leaf(OUT, 3, ap=AP_RW, af=0)
    clean = s1_leaf(OUT + 0x2000, 3, ap=AP_RO, af=0, dbm=1)
    ro = s1_leaf(OUT + 0x3000, 3, ap=AP_RO)
    el1 = s1_leaf(OUT + 0x4000, 3, ap=AP_EL1_RO, dbm=1)
    table_ro = s1_leaf(OUT + 0x5000, 3, ap=AP_RO, dbm=1)
    for va, d in ((0x1000, old), (0x2000, clean), (0x3000, ro), (0x4000, el1)):
        pt.set(va, 3, d)
    pt.set(0x4000_0000, 3, table_ro, table_attrs={1: {"aptable": 2}})  # no writes below
    af = 1 << 10
    # AF set instead of an Access fault; nothing else changes.
    sc.q(1, 0x1008, "r", ok(OUT + 8, 4096, el0rw()))
    read64(sc, pt.slot(0x1000, 3), old | af)
    # A read of a writable-clean page: AF only, still read-only.
    sc.q(1, 0x2000, "r", ok(OUT + 0x2000, 4096, s1_perm(AP_RO, 0, 0, False)))
    read64(sc, pt.slot(0x2000, 3), clean | af)
    # A write makes it writable-dirty: AP[2] cleared, DBM kept.
    sc.q(1, 0x2000, "w", ok(OUT + 0x2000, 4096, el0rw()))
    read64(sc, pt.slot(0x2000, 3), s1_leaf(OUT + 0x2000, 3, ap=AP_RW, dbm=1))
    # Read-only without DBM: a Permission fault, no update.
    sc.q(1, 0x3000, "w", fault("F_PERMISSION", 1, 3))
    read64(sc, pt.slot(0x3000, 3), ro)
    # AP[2] alone must be what forbids the write: not so for EL0 here.
    sc.q(1, 0x4000, "w", fault("F_PERMISSION", 1, 3))
    read64(sc, pt.slot(0x4000, 3), el1)
    sc.q(1, 0x4000, "w", ok(OUT + 0x4000, 4096, s1_perm(0b00, 0, 0, True)), priv=True)
    read64(sc, pt.slot(0x4000, 3), s1_leaf(OUT + 0x4000, 3, ap=0b00, dbm=1))
    # APTable forbids writes below: no dirty update (3.13.3.1).
    sc.q(1, 0x4000_0000, "w", fault("F_PERMISSION", 1, 3), priv=True)
    read64(sc, pt.slot(0x4000_0000, 3), table_ro)
    # HA alone: the write to a writable-clean page faults; a read sets AF.
    pt2 = sc.s1(2, 4096, 25, asid=2, ha=1)
    pt2.set(0x1000, 3, clean)
    sc.q(2, 0x1000, "w", fault("F_PERMISSION", 1, 3))
    sc.q(2, 0x1000, "r", ok(OUT + 0x2000, 4096, s1_perm(AP_RO, 0, 0, False)))
    read64(sc, pt2.slot(0x1000, 3), clean | af)
    # No HTTU: the Access fault, nothing written. {HD, HA} = 0b10 behaves
    # as 0b00 (5.4).
    pt3 = sc.s1(3, 4096, 25, asid=3, hd=1)
    pt3.set(0x1000, 3, clean)
    sc.q(3, 0x1000, "r", fault("F_ACCESS", 1, 3))
    read64(sc, pt3.slot(0x1000, 3), clean)
    return sc


def httu_stage2():
    sc = Scenario("httu_s2")
    pt = sc.s2(1, 4096, 24, 1, s2ha=1, s2hd=1)
    clean = s2_leaf(OUT, 3, s2ap=0b01, af=0, dbm=1)
    pt.set(0x10000, 3, clean)
    sc.q(1, 0x10000, "r", ok(OUT, 4096, "rx"))
    read64(sc, pt.slot(0x10000, 3), clean | 1 << 10)
    sc.q(1, 0x10000, "w", ok(OUT, 4096, "rwx"))
    read64(sc, pt.slot(0x10000, 3), s2_leaf(OUT, 3, s2ap=0b11, dbm=1))
    pt2 = sc.s2(2, 4096, 24, 1, vmid=2, s2ha=1)        # Access flag only
    pt2.set(0x10000, 3, clean)
    sc.q(2, 0x10000, "w", fault("F_PERMISSION", 2, 3))
    return sc


def httu_nested_ttrnw():
    """A stage-1 update is a stage-2 write (3.13.5): with the stage-1 tables
    read-only at stage 2, a stage-2 Permission fault, CLASS TT, TTRnW 0."""
    sc = Scenario("httu_nested_ttrnw")
    sc.print_events = True
    sc.evtq(2)
    s2 = sc.s2_tables(4096, 24, 1)
    s1 = PageTable(sc.mem, 12, 39, 1)
    cda = sc.mem.alloc(64, 4096)
    s1.set(0x7000, 3, s1_leaf(0x2000_0000, 3, ap=AP_RW, af=0))
    for tpa in list(s1.back.values()) + [cda]:
        s2.set(tpa, 3, s2_leaf(tpa, 3, s2ap=0b01))       # read-only, IPA = PA
    s2.set(0x2000_0000, 3, s2_leaf(OUT, 3))
    sc.mem.write(cda, cd(25, 4096, s1.root, asid=5, ha=1))
    sc.st.set(1, ste(0b111, s1ctxptr=cda, s2vmid=7, s2t0sz=24, s2sl0=1, s2tg=0,
                     s2ttb=s2.root))
    desc = s1.slot(0x7000, 3)
    sc.q(1, 0x7008, "r", fault("F_PERMISSION", 2, 3))
    sc.events = {"events": [event_record("F_PERMISSION", 1, input_addr=0x7008, s2=True,
                                         cls="TT", ipa=desc, ttrnw=0)],
                 "overflow": False}
    return sc


def stalls():
    sc = Scenario("stall_resume")
    sc.print_events = True
    sc.evtq(3)
    sc.cmdq()
    pt = sc.s1(1, 4096, 25, s=1)                          # CD.S: stall
    pt.set(0x1000, 3, s1_leaf(OUT, 3, ap=AP_RW))
    slot5 = pt.slot(0x5000, 3)
    sc.q(1, 0x5000, "w", dict(fault("F_TRANSLATION", 1, 3), stalled=0), stall=True)
    sc.step({"stall_wait": 0}, {"end": "PENDING"})
    sc.step({"write64": {"addr": hex(slot5), "value": hex(s1_leaf(OUT + 0x5000, 3, ap=AP_RW))}},
            {"ok": True})
    sc.step({"resume": {"event": 0, "retry": True}}, {"cons": hex(2)})
    sc.step({"stall_wait": 0}, {"end": "RETRY"})
    sc.q(1, 0x5000, "w", ok(OUT + 0x5000, 4096, el0rw()), stall=True)
    sc.q(1, 0x6000, "r", dict(fault("F_TRANSLATION", 1, 3), stalled=1), stall=True)
    sc.step({"resume": {"event": 1, "retry": False}}, {"cons": hex(4)})
    sc.step({"stall_wait": 1}, {"end": "ABORT"})           # TERM_MODEL 1: abort
    sc.q(1, 0x7000, "r", dict(fault("F_TRANSLATION", 1, 3), stalled=2), stall=True)
    sc.step({"commands": [cmd_stall_term(1), cmd_sync()]}, {"cons": hex(6)})
    sc.step({"stall_wait": 2}, {"end": "ABORT"})
    # A device that cannot stall: terminated, recorded with Stall 0.
    sc.q(1, 0x8000, "r", fault("F_TRANSLATION", 1, 3))
    # CD.S under STE.S1STALLD is ILLEGAL (5.4.2).
    sc.s1(2, 4096, 25, asid=2, s=1, ste_kw={"s1stalld": 1})
    sc.q(2, 0x1000, "r", fault("C_BAD_CD"), stall=True)
    sc.events = {"events": [
        event_record("F_TRANSLATION", 1, input_addr=0x5000, rnw=False, stall=True),
        event_record("F_TRANSLATION", 1, input_addr=0x6000, stall=True),
        event_record("F_TRANSLATION", 1, input_addr=0x7000, stall=True),
        event_record("F_TRANSLATION", 1, input_addr=0x8000),
        event_record("C_BAD_CD", 2)], "overflow": False}
    return sc


def stall_queue_full():
    """A stall record is never lost: with the queue full the stall waits,
    and is retried once there is room (7.2.1); no overflow is flagged."""
    sc = Scenario("stall_evtq_full")
    sc.evtq(0)                                            # one entry
    pt = sc.s1(1, 4096, 25, s=1)
    pt.set(0x1000, 3, s1_leaf(OUT, 3, ap=AP_RW))
    sc.q(1, 0x5000, "r", dict(fault("F_TRANSLATION", 1, 3), stalled=0), stall=True)
    sc.q(1, 0x6000, "r", dict(fault("F_TRANSLATION", 1, 3), stalled=1), stall=True)
    sc.step({"read_reg": "EVENTQ_PROD"}, {"value": hex(1)})   # OVFLG clear
    sc.step({"stall_wait": 1}, {"end": "PENDING"})
    sc.step({"write_reg": {"name": "EVENTQ_CONS", "value": 1}}, {"ok": True})
    sc.step({"stall_wait": 1}, {"end": "RETRY"})
    sc.q(1, 0x6000, "r", dict(fault("F_TRANSLATION", 1, 3), stalled=2), stall=True)
    sc.step({"read_reg": "EVENTQ_PROD"}, {"value": hex(0)})   # written, wrapped
    sc.step({"stall_wait": 0}, {"end": "PENDING"})
    return sc


def ats():
    sc = Scenario("ats")
    sc.print_events = True
    sc.evtq(3)
    pt = sc.s1(1, 4096, 25, ha=1, hd=1, ste_kw={"eats": 1})
    pt.set(0x1000, 3, s1_leaf(OUT, 3, ap=AP_RW))
    pt.set(0x2000, 3, s1_leaf(OUT + 0x2000, 3, ap=AP_RO))
    pt.set(0x3000, 3, s1_leaf(OUT + 0x3000, 3, ap=AP_RO, af=0, dbm=1))
    sc.s1(2, 4096, 25, asid=2)                           # EATS 0
    sc.st.set(3, ste(0b100, eats=1))                     # bypass: EATS IGNORED (0)
    sc.st.set(4, ste(0b000, eats=1))                     # abort
    sc.s1(5, 4096, 25, asid=5, ste_kw={"eats": 2})       # split-stage: ILLEGAL here

    def tr(sid, iova, access, status, addr=None, size=None, perm=None):
        want = {"status": status}
        if status == "SUCCESS":
            want.update(addr=hex(addr), size=size, perm=perm)
        sc.step({"ats": {"sid": sid, "iova": hex(iova), "access": access}}, want)

    tr(1, 0x1234, "rw", "SUCCESS", OUT, 4096, "rw")
    tr(1, 0x2000, "rw", "SUCCESS", OUT + 0x2000, 4096, "r")    # read granted only
    tr(1, 0x3000, "rw", "SUCCESS", OUT + 0x3000, 4096, "rw")   # made dirty (3.13.7)
    read64(sc, pt.slot(0x3000, 3), s1_leaf(OUT + 0x3000, 3, ap=AP_RW, dbm=1))
    tr(1, 0x9000, "r", "SUCCESS", 0, 4096, "")                 # no mapping: R=W=0
    tr(2, 0x1000, "rw", "UR")
    tr(3, 0x1000, "r", "UR")
    tr(4, 0x1000, "r", "UR")                                   # abort: not recorded
    tr(5, 0x1000, "r", "CA")                                   # C_BAD_STE: not recorded

    def translated(sid, pa, access, passes):
        sc.step({"translated": {"sid": sid, "pa": hex(pa), "access": access}}, {"ok": passes})

    translated(2, 0x8000_0000, "w", True)                      # ATSCHK 0: no checks
    sc.step({"write_reg": {"name": "CR0", "value": sc.cr0 | ATSCHK}}, {"ok": True})
    translated(1, 0x8000_0000, "w", True)
    translated(2, 0x8000_0000, "w", False)
    translated(3, 0x8000_0000, "r", False)
    translated(4, 0x8000_0000, "r", False)                     # abort: not recorded
    sc.events = {"events": [
        bad_ats_treq(2, 0x1000, w=1),
        bad_ats_treq(3, 0x1000),
        event_record("F_TRANSL_FORBIDDEN", 2, input_addr=0x8000_0000, rnw=False),
        event_record("F_TRANSL_FORBIDDEN", 3, input_addr=0x8000_0000)],
        "overflow": False}
    return sc


def atc_invalidation():
    cases = []
    sc = Scenario("atc_inv")
    sc.atc = "complete"
    sc.cmdq()
    sc.step({"commands": [cmd_atc_inv(1, 0x3000, 1), cmd_sync()]}, {"cons": hex(2)})
    sc.step({"commands": [cmd_atc_inv(1, 0x1234_5000, 52, ssid=7, glob=1), cmd_sync()]},
            {"cons": hex(4)})
    sc.step({"endpoint": True}, {"endpoint": [
        {"atc_inv": {"sid": 1, "ssid": None, "global": False, "addr": hex(0x2000),
                     "log2size": 13}},
        {"atc_inv": {"sid": 1, "ssid": 7, "global": True, "addr": hex(0),
                     "log2size": 64}}]})
    cases.append(sc)

    sc = Scenario("atc_inv_deferred")
    sc.atc = "defer"
    sc.cmdq()
    sc.step({"commands": [cmd_atc_inv(1, 0x3000, 0), cmd_sync(), cmd_sync()]},
            {"cons": hex(1)})                              # waits at the CMD_SYNC
    sc.step({"atc_complete": True}, {"completed": 1})
    sc.step({"read_reg": "CMDQ_CONS"}, {"value": hex(3)})
    cases.append(sc)

    sc = Scenario("atc_inv_timeout")
    sc.atc = "fail"
    sc.cmdq()
    sc.step({"commands": [cmd_atc_inv(1, 0x3000, 0), cmd_sync()]},
            {"cons": hex(1 | 3 << 24)})                    # CERROR_ATC_INV_SYNC
    sc.step({"read_reg": "GERROR"}, {"value": hex(1)})     # CMDQ_ERR
    cases.append(sc)

    sc = Scenario("atc_inv_smmuen0")
    sc.atc = "complete"
    sc.cmdq()
    sc.cr0 &= ~SMMUEN                                      # IGNORED (4.5.1)
    sc.step({"commands": [cmd_atc_inv(1, 0x3000, 0), cmd_sync()]}, {"cons": hex(2)})
    sc.step({"endpoint": True}, {"endpoint": []})
    cases.append(sc)
    return cases


def prg(sid, prgi, code, ssid=None, auto=False):
    return {"prg": {"sid": sid, "ssid": ssid, "prgi": prgi, "code": code, "auto": auto}}


def pri_queue():
    cases = []
    sc = Scenario("pri_queue")
    sc.print_priq = True
    sc.cmdq()
    sc.priq(1)                                             # two entries

    def ppr(addr, access, prgi, outcome, last=False, ssid=None, stop=False):
        step = {"sid": 1, "addr": hex(addr), "access": access, "prgi": prgi,
                "last": last, "stop": stop}
        if ssid is not None:
            step["ssid"] = ssid
        sc.step({"page_request": step}, {"outcome": outcome})

    ppr(0x1234_5678, "rw", 5, "QUEUED")
    ppr(0x9000, "rx", 5, "QUEUED", last=True, ssid=0x77)
    ppr(0x3000, "r", 6, "OVERFLOW", last=True, ssid=9)     # full: overflow begins
    ppr(0x4000, "r", 7, "OVERFLOW")                        # Last 0: silent
    sc.step({"endpoint": True}, {"endpoint": [prg(1, 6, 0, ssid=9, auto=True)]})
    sc.step({"write_reg": {"name": "PRIQ_CONS", "value": 2}}, {"ok": True})
    ppr(0x4000, "r", 7, "OVERFLOW", last=True)             # room, not acknowledged
    sc.step({"write_reg": {"name": "PRIQ_CONS", "value": 2 | 1 << 31}}, {"ok": True})
    ppr(0x5000, "w", 8, "QUEUED", last=True)
    ppr(0, "", 8, "QUEUED", ssid=0x77, stop=True)          # Stop marker: L=1, R=W=0
    sc.step({"commands": [cmd_pri_resp(1, 5, "SUCCESS", ssid=0x77),
                          cmd_pri_resp(1, 8, "INVALID"), cmd_sync()]}, {"cons": hex(3)})
    sc.step({"endpoint": True}, {"endpoint": [prg(1, 7, 0, auto=True),
                                              prg(1, 5, 0, ssid=0x77),
                                              prg(1, 8, 1)]})
    sc.priq_records = {"priq": [priq_record(1, 0x5000, 8, w=1, last=1),
                                priq_record(1, 0, 8, last=1, ssid=0x77)],
                       "overflow": False}
    cases.append(sc)

    sc = Scenario("pri_disabled")
    sc.step({"page_request": {"sid": 1, "addr": hex(0x1000), "access": "r", "prgi": 3,
                              "ssid": 4}}, {"outcome": "DISABLED"})
    sc.step({"page_request": {"sid": 1, "addr": "0x0", "prgi": 3, "ssid": 4,
                              "stop": True}}, {"outcome": "DISABLED"})
    sc.step({"endpoint": True}, {"endpoint": [prg(1, 3, 15, auto=True)]})  # Failure, no PASID
    cases.append(sc)
    return cases


def sva_scenarios():
    return ([httu_stage1(), httu_stage2(), httu_nested_ttrnw(), stalls(),
             stall_queue_full(), ats()] + atc_invalidation() + pri_queue())
