"""The QEMU trace reader and the differential's own logic (qemu_trace.py,
qemu_diff.py): synthetic traces for the rules, and a committed recording
with one traced result changed, which the differential must reject."""
import os
import re
import struct
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import qemu_diff  # noqa: E402
import qemu_recording  # noqa: E402
import qemu_trace  # noqa: E402

CLI = os.environ.get("VMACCEL_CLI")


def walk(asid, addr, pte_addr, pte, tg=1, level=3, hit=False):
    if hit:
        return ["smmu_iotlb_lookup_hit IOTLB cache HIT asid=%d addr=0x%x hit=1 miss=1 hit rate=50"
                % (asid, addr)]
    return ["smmu_iotlb_lookup_miss IOTLB cache MISS asid=%d addr=0x%x hit=0 miss=1 hit rate=0"
            % (asid, addr),
            "smmu_get_pte baseaddr=0x%x index=0x0, pteaddr=0x%x, pte=0x%x" % (pte_addr, pte_addr, pte),
            "smmu_iotlb_insert IOTLB ++ asid=%d addr=0x%x tg=%d level=%d" % (asid, addr, tg, level)]


def success(sid, iova, pa, perm=3):
    return ["smmuv3_translate_success smmuv3-iommu-memory-region-8-1 sid=0x%x iova=0x%x "
            "translated=0x%x perm=0x%x" % (sid, iova, pa, perm)]


def tlbi(asid, addr, ttl=3, pages=1):
    return ["smmuv3_cmdq_opcode <--- SMMU_CMD_TLBI_NH_VA",
            "smmuv3_s1_range_inval vmid=0 asid=%d addr=0x%x tg=1 num_pages=0x%x ttl=%d leaf=1"
            % (asid, addr, pages, ttl)]


SYNC = ["smmuv3_cmdq_opcode <--- SMMU_CMD_SYNC"]


def test_registers_carry_the_queue_state_qemu_logged_before_them():
    t = qemu_trace.parse([
        "smmuv3_cmdq_consume_out prod:2, cons:2, prod_wrap:0, cons_wrap:0 ",
        "smmuv3_write_mmio addr: 0x98 val:0x2 size: 0x4(0)",
        "smmuv3_read_mmio addr: 0x9c val:0x2 size: 0x4(0)",
        "some other program's line",
    ])
    assert [(m["op"], m["offset"], m["value"]) for m in t.mmio] == [("w", 0x98, 2), ("r", 0x9c, 2)]
    assert t.mmio[0]["cmdq_after"] == (2, 2, 0, 0)


def test_a_hit_is_served_by_the_newest_fill_covering_it():
    t = qemu_trace.parse(walk(1, 0x1000, 0x5000, 0xAAA003) + success(8, 0x1010, 0xAAA010) +
                         walk(1, 0x1000, 0x5000, 0xBBB003) + success(8, 0x1020, 0xBBB020) +
                         walk(1, 0x1000, 0, 0, hit=True) + success(8, 0x1030, 0xBBB030))
    assert [x["descs"] for x in t.xlates] == [[(0x5000, 0xAAA003)]] + [[(0x5000, 0xBBB003)]] * 2
    assert [x["how"] for x in t.xlates] == ["walk", "walk", "iotlb"]
    assert t.xlates[2]["size"] == 4096


@pytest.mark.parametrize("after, stale", [
    (tlbi(1, 0x1000) + SYNC, 1),             # invalidated and completed, then hit
    (tlbi(1, 0x1000), 0),                    # not completed yet: a hit is allowed
    (tlbi(2, 0x1000) + SYNC, 0),             # another ASID
    (tlbi(1, 0x1000, ttl=2) + SYNC, 0),      # TTL names level 2: a level-3 entry may stay
    (tlbi(1, 0x0, pages=2) + SYNC, 1),       # a range covering it
])
def test_a_hit_after_a_completed_tlbi_is_stale(after, stale):
    t = qemu_trace.parse(walk(1, 0x1000, 0x5000, 0xAAA003) + success(8, 0x1000, 0xAAA000) +
                         after + walk(1, 0x1000, 0, 0, hit=True) + success(8, 0x1000, 0xAAA000))
    assert len(t.stale_hits) == stale


def test_a_fault_after_a_hit_is_that_translation_with_its_fill():
    t = qemu_trace.parse(walk(4, 0x10000, 0x5080, 0x41eadfc7) + success(0x18, 0x10000, 0x41ead000, 1) +
                         walk(4, 0x10000, 0, 0, hit=True) +
                         ["smmuv3_record_event SMMU_EVT_F_PERMISSION sid=0x18"])
    x = t.xlates[-1]
    assert (x["ok"], x["event"], x["iova"], x["event_index"]) == (False, "SMMU_EVT_F_PERMISSION",
                                                                 0x10000, 0)
    assert x["descs"] == [(0x5080, 0x41eadfc7)]


def test_a_known_event_that_does_not_parse_is_an_error():
    with pytest.raises(qemu_trace.TraceError, match="line 2"):
        qemu_trace.parse(["", "smmuv3_translate_success sid=zz"])


def test_a_cfgi_after_a_translation_makes_it_not_live():
    t = qemu_trace.parse(walk(1, 0x1000, 0x5000, 0xAAA003) + success(8, 0x1000, 0xAAA000) +
                         ["smmuv3_cmdq_cfgi_ste streamid= 0x8"])
    img = qemu_recording.Image([(0x5000, struct.pack("<Q", 0xAAA003))])
    assert qemu_diff.live(t, img, t.xlates[0]) == "config changed since"
    t.cfg_changes.clear()
    assert qemu_diff.live(t, img, t.xlates[0]) == "live"
    img = qemu_recording.Image([(0x5000, struct.pack("<Q", 0xCCC003))])
    assert qemu_diff.live(t, img, t.xlates[0]) == "tables changed since"


@pytest.mark.parametrize("span, qemu_last, differs", [(9, 511, True), (9, 255, False),
                                                      (12, 4095, True), (0, -1, False)])
def test_span_decode_against_5_1(span, qemu_last, differs):
    t = qemu_trace.Trace()
    t.l1_lookups = [{"line": 1, "sid": 8, "split": 8, "l1ptr": 0x1000, "l2_off": 8,
                     "max_l2_ste": qemu_last}]
    img = qemu_recording.Image([(0x1000, struct.pack("<Q", 0x4ba60000 | span))])
    assert bool(qemu_diff.span_check(t, img)) == differs


@pytest.mark.skipif(not CLI, reason="VMACCEL_CLI not set")
def test_a_changed_translation_in_a_recording_is_a_difference(tmp_path):
    lines, img, memory = qemu_recording.load(os.path.join(HERE, "qemu", "quiet"), str(tmp_path))
    t = qemu_trace.parse(lines)
    target = next(x for x in t.xlates if x["how"] == "walk" and x["ok"] and x["size"] == 4096)
    i = target["line"] - 1
    lines[i] = re.sub(r"translated=0x([0-9a-f]+)",
                      lambda m: "translated=0x%x" % (int(m.group(1), 16) ^ 0x1000), lines[i])
    diff = qemu_diff.Diff(qemu_trace.parse(lines), img, memory,
                          qemu_diff.Replay(CLI, str(tmp_path))).run()
    unknown = qemu_diff.classify(diff.diffs)
    assert [d["line"] for d in unknown if d["kind"] == "translation"] == [target["line"]]
