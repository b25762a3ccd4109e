"""The vmaccel command as a user runs it: outputs, exit codes, bad input."""
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

CLI = os.environ.get("VMACCEL_CLI", "vmaccel")
SRC = os.environ.get("VMACCEL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
PROTO_DIR = os.path.join(SRC, "proto")
SANITIZER_MARKS = ("AddressSanitizer", "runtime error:", "LeakSanitizer", "ThreadSanitizer")


def run(*args, stdin=None):
    proc = subprocess.run([CLI, *args], capture_output=True, timeout=60, input=stdin)
    for mark in SANITIZER_MARKS:
        assert mark.encode() not in proc.stderr, proc.stderr.decode(errors="replace")
    return proc


def test_version_and_help():
    out = run("--version")
    assert out.returncode == 0
    assert out.stdout.decode().startswith("vmaccel ")
    helped = run("--help")
    assert helped.returncode == 0
    for command in ("topology", "probe", "report"):
        assert command in helped.stdout.decode()
        sub = run(command, "--help")
        assert sub.returncode == 0 and b"usage: vmaccel " + command.encode() in sub.stdout


def listed_commands():
    """The subcommands `vmaccel --help` lists (so a new one is covered)."""
    lines = run("--help").stdout.decode().split("commands:\n", 1)[1].splitlines()
    return [l.split()[0] for l in lines if l.startswith("  ") and l.split()]


@pytest.mark.parametrize("extra", [(), ("-h",)])
def test_every_subcommand_help_prints_usage_and_exits_0(extra):
    commands = listed_commands()
    assert {"run", "pin", "plan", "smmu", "plot"} <= set(commands)
    for argv in [[c] for c in commands] + [["smmu", "replay"]]:
        flag = list(extra) or ["--help"]
        out = run(*argv, *flag)
        assert out.returncode == 0, (argv, out.stderr)
        assert out.stdout.decode().startswith("usage: vmaccel " + argv[0]), (argv, out.stdout)
        assert out.stderr == b"", (argv, out.stderr)


def test_synthetic_topology_as_json():
    out = run("topology", "--synthetic", "pack:2 numa:2 core:4 pu:2", "--format", "json")
    assert out.returncode == 0, out.stderr
    topo = json.loads(out.stdout)
    assert len(topo["numaNodes"]) == 4
    assert len(topo["pus"]) == 32
    assert [n["distances"] for n in topo["numaNodes"]][0] == [10, 20, 20, 20]


@pytest.mark.skipif(shutil.which("protoc") is None, reason="protoc not installed")
def test_topology_protobuf_decodes_with_protoc():
    out = run("topology", "--synthetic", "pack:2 numa:2 core:4 pu:2", "--format", "pb")
    assert out.returncode == 0
    decoded = subprocess.run(
        ["protoc", f"--proto_path={PROTO_DIR}", "--decode=vmaccel.v1.Topology", "vmaccel.proto"],
        input=out.stdout, capture_output=True, check=True)
    text = decoded.stdout.decode()
    assert text.count("numa_nodes {") == 4
    assert text.count("pus {") == 32


def test_report_json_explains_kvm_and_iommu():
    out = run("report", "--format", "json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    kvm = report["hypervisors"][0]
    assert kvm["kind"] == "HYPERVISOR_KIND_KVM"
    # Whatever this host has, an absent or unusable KVM comes with a reason.
    if kvm["status"] != "PROBE_STATUS_AVAILABLE":
        assert kvm["reason"]
    assert report["iommu"].get("present", False) or report["iommu"]["reason"]


def test_report_on_fixture_host_says_no_kvm_no_iommu(tmp_path):
    for d in ("sys/class/iommu", "sys/kernel/iommu_groups", "dev", "dt"):
        (tmp_path / d).mkdir(parents=True)
    out = run("report", "--format", "json", "--sysfs", str(tmp_path / "sys"),
              "--devfs", str(tmp_path / "dev"), "--devicetree", str(tmp_path / "dt"))
    report = json.loads(out.stdout)
    assert report["hypervisors"][0]["status"] == "PROBE_STATUS_UNAVAILABLE"
    assert "kvm" in report["hypervisors"][0]["reason"]
    assert "present" not in report["iommu"]
    assert "no IOMMU" in report["iommu"]["reason"]


def test_probe_on_smmuv3_fixture(tmp_path):
    (tmp_path / "sys/class/iommu/smmu3.0x0000000009050000").mkdir(parents=True)
    (tmp_path / "sys/kernel/iommu_groups/0").mkdir(parents=True)
    node = tmp_path / "dt/smmuv3@9050000"
    node.mkdir(parents=True)
    (node / "compatible").write_bytes(b"arm,smmu-v3\0")
    out = run("probe", "--sysfs", str(tmp_path / "sys"), "--devicetree", str(tmp_path / "dt"))
    assert out.returncode == 0
    assert "iommu  smmuv3: 1 unit, 1 group, 1 device-tree SMMUv3 node" in out.stdout.decode()


def test_setup_full_report_names_skipped_components():
    out = run("report", "--setup-full", "--synthetic", "core:2 pu:1", "--format", "json")
    comps = {c["name"]: c for c in json.loads(out.stdout)["manager"]["components"]}
    assert comps["smmu"]["state"] == "COMPONENT_STATE_ON"
    assert comps["numa"]["state"] == "COMPONENT_STATE_SKIPPED"
    assert "NUMA node" in comps["numa"]["reason"]


@pytest.mark.parametrize("args, code", [
    ([], 2),
    (["frobnicate"], 2),
    (["topology", "--format", "yaml"], 2),
    (["topology", "--format"], 2),
    (["topology", "--bogus"], 2),
    (["topology", "extra"], 2),
    (["topology", "--xml", "a.xml", "--synthetic", "core:1"], 2),
    (["topology", "--synthetic", "pack:2 foo:3"], 1),
    (["topology", "--synthetic", ""], 1),
    (["topology", "--xml", "/nonexistent.xml"], 1),
    (["topology", "--xml", "/dev/null"], 1),
    (["topology", "--synthetic", "core:2 pu:1", "--allowed", "0-9"], 1),
    (["topology", "--synthetic", "core:2 pu:1", "--allowed", "zero"], 1),
    (["report", "--format", "xml"], 2),
    (["report", "--synthetic", "x" * 5000], 1),
    (["report", "--sysfs", "/" + "a" * 4000], 1),
    (["probe", "--nope"], 2),
    (["probe", "stray"], 2),
])
def test_bad_input_fails_cleanly(args, code):
    out = run(*args)
    assert out.returncode == code, (args, out.stderr)
    assert out.stderr.strip(), "an error must say what went wrong"
    assert out.stdout == b""


def test_broken_xml_fixture_is_rejected():
    bad = os.path.join(SRC, "tests", "fixtures", "broken.xml")
    out = run("topology", "--xml", bad)
    assert out.returncode == 1
    assert b"VMACCEL_EPARSE" in out.stderr


@pytest.mark.parametrize("args", [
    ["run"],
    ["run", "--pid", "0"],
    ["run", "--pid", "abc"],
    ["run", "--pid", "1", "--threshold", "2"],
    ["run", "--pid", "1", "--interval", "0"],
    ["run", "--pid", "1", "--fix", "teleport"],
    ["run", "--pid", "1", "--strategy", "random"],
    ["run", "--pid", "1", "--events", "xml"],
    ["plot"],
    ["plot", "a.jsonl", "b.jsonl"],
    ["plot", "x.jsonl", "--threshold", "7"],
])
def test_run_and_plot_usage_errors(args):
    out = run(*args)
    assert out.returncode == 2, (args, out.stderr)
    assert out.stderr.strip()


def test_run_on_a_gone_pid_fails_cleanly():
    out = run("run", "--pid", "999999999", "--duration", "1", "--no-live")
    assert out.returncode == 1
    assert b"VMACCEL_EGONE" in out.stderr or b"VMACCEL_ENOENT" in out.stderr


def test_smmu_replay_runs_ops_in_order(tmp_path):
    # A two-page file whose second page, loaded at 0x80000000 through
    # "offset"/"length", holds a command queue with one CMD_SYNC (opcode 0x46).
    page = bytearray(4096)
    page[0] = 0x46
    (tmp_path / "mem.bin").write_bytes(bytes(4096) + bytes(page))
    scenario = {
        "memory": [{"base": "0x80000000", "file": "mem.bin", "offset": 4096, "length": 4096}],
        "ops": [
            {"write": "0x90", "value": "0x80000001", "size": 8},  # CMDQ_BASE, 2 entries
            {"read": "0x24"},                                       # CR0ACK: 0
            {"write": "0x20", "value": "0x8"},                      # CR0.CMDQEN
            {"read": "0x24"},
            {"write": "0x98", "value": "0x1"},                      # CMDQ_PROD: one command
            {"read": "0x9c"},                                       # CMDQ_CONS
            {"read": "0x60"},                                       # GERROR: none
            {"translate": {"sid": 1, "iova": "0x1000", "access": "r"}},  # GBPA aborts
            {"dump": "0x80000000", "length": 2},
        ],
        "queries": [],
        "print_touched": True,
    }
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))
    out = run("smmu", "replay", str(path))
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert lines == [{"read": "0x24", "value": "0x0"}, {"read": "0x24", "value": "0x8"},
                     {"read": "0x9c", "value": "0x1"}, {"read": "0x60", "value": "0x0"},
                     {"ok": False, "event": None}, {"dump": "0x80000000", "hex": "4600"},
                     {"touched": [["0x80000000", 1]]}]
    # A register the model does not have, and a slice beyond the file.
    scenario["ops"] = [{"read": "0x20001"}]
    path.write_text(json.dumps(scenario))
    bad = run("smmu", "replay", str(path))
    assert bad.returncode == 1 and b"ops[0]" in bad.stderr
    scenario["ops"], scenario["memory"][0]["offset"] = [], 4097
    path.write_text(json.dumps(scenario))
    bad = run("smmu", "replay", str(path))
    assert bad.returncode == 1 and b"beyond its 8192 bytes" in bad.stderr


def test_plot_rejects_bad_records(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"t":1,"vm":1,"local":0.5}\nnot json\n')
    out = run("plot", str(bad))
    assert out.returncode == 1 and b"bad.jsonl:2" in out.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"t":1,"vm":1,"event":"REBALANCE_APPLIED","message":"x"}\n')
    assert b"no locality samples" in run("plot", str(empty)).stderr
    assert run("plot", str(tmp_path / "missing.jsonl")).returncode == 1


WORKLOAD = os.environ.get("VMACCEL_WORKLOAD")


@pytest.mark.skipif(not WORKLOAD, reason="misplaced_vm not built")
def test_run_records_a_real_process_and_plot_draws_it(tmp_path):
    vm = subprocess.Popen([WORKLOAD, "--mem-node", "0", "--cpu-node", "0", "--mem-mb", "16",
                           "--seconds", "20"], stdout=subprocess.PIPE)
    try:
        assert vm.stdout.readline().startswith(b"READY")
        record, report = tmp_path / "run.jsonl", tmp_path / "report.pb"
        out = run("run", "--pid", str(vm.pid), "--interval", "200", "--duration", "2",
                  "--no-live", "--events", "json", "--record", str(record),
                  "--report-out", str(report))
        assert out.returncode == 0, out.stderr
        events = [json.loads(line) for line in out.stdout.decode().splitlines()]
        assert events[0]["type"] == "EVENT_TYPE_VM_ATTACHED"
        samples = [json.loads(l) for l in record.read_text().splitlines() if '"local"' in l]
        assert len(samples) >= 3
        assert all(s["local"] == 1.0 for s in samples)  # one node: all local
        assert report.stat().st_size > 0
        svg = tmp_path / "plot.svg"
        assert run("plot", str(record), "--out", str(svg)).returncode == 0
        text = svg.read_text()
        assert text.startswith("<svg") and "<polyline" in text and f"pid {vm.pid}" in text
    finally:
        vm.kill()
        vm.wait()


# A VMM stand-in that costs no CPU (sleeping threads named like QEMU's).
FAKE_VMM = os.path.join(SRC, "tests", "fixtures", "fake_vmm.py")


def test_report_out_makes_no_temporary_file_in_a_shared_directory(tmp_path):
    """--report-out in a sticky world-writable directory (like /tmp) is
    rewritten in place: nothing is created or renamed there (the directory's
    mtime stays), so a link planted at the old FILE.tmp name is never
    written through. In the user's own directory it is replaced whole."""
    import tempfile
    vmm = subprocess.Popen([sys.executable, FAKE_VMM, "--seconds", "60"],
                           stdout=subprocess.PIPE, text=True)
    shared = tempfile.mkdtemp(prefix="vmaccel-shared-")
    try:
        assert vmm.stdout.readline().strip() == "ready"
        os.chmod(shared, 0o1777)
        victim = tmp_path / "victim"
        victim.write_text("precious\n")
        os.symlink(victim, os.path.join(shared, "report.pb.tmp"))
        report = os.path.join(shared, "report.pb")
        with open(report, "w") as f:
            f.write("old")
        mtime = os.stat(shared).st_mtime_ns
        private = tmp_path / "private"
        private.mkdir(mode=0o700)
        for path in (report, str(private / "report.pb")):
            out = run("run", "--pid", str(vmm.pid), "--interval", "100", "--duration", "1",
                      "--no-live", "--report-out", path)
            assert out.returncode == 0, out.stderr
            assert b"cannot write the report" not in out.stderr
            assert os.path.getsize(path) > 3
        assert os.stat(shared).st_mtime_ns == mtime
        assert sorted(os.listdir(shared)) == ["report.pb", "report.pb.tmp"]
        assert victim.read_text() == "precious\n"
        assert os.listdir(private) == ["report.pb"]
        out = run("run", "--pid", str(vmm.pid), "--interval", "100", "--duration", "1",
                  "--no-live", "--report-out", str(tmp_path / "missing" / "r.pb"))
        assert out.returncode == 0
        assert out.stderr.count(b"cannot write the report") == 1  # once, not every interval
    finally:
        vmm.kill()
        vmm.wait()
        shutil.rmtree(shared)


SETPRIV = shutil.which("setpriv")
AS_NOBODY = [SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups"] if SETPRIV else []


def run_as(prefix, *args, env=None):
    proc = subprocess.run([*prefix, CLI, *args], capture_output=True, timeout=60, env=env)
    for mark in SANITIZER_MARKS:
        assert mark.encode() not in proc.stderr, proc.stderr.decode(errors="replace")
    return proc


@pytest.mark.skipif(os.geteuid() != 0 or not SETPRIV, reason="needs root to drop to nobody")
@pytest.mark.parametrize("args", [("report", "--format", "json"), ("topology",), ("probe",),
                                  ("plan", "--vms", "1x2")])
def test_read_only_commands_need_no_privilege(args):
    out = run_as(AS_NOBODY, *args)
    assert out.returncode == 0, out.stderr


@pytest.fixture
def root_vm():
    if not WORKLOAD:
        pytest.skip("misplaced_vm not built")
    vm = subprocess.Popen([WORKLOAD, "--mem-node", "0", "--cpu-node", "0", "--mem-mb", "8",
                           "--seconds", "30"], stdout=subprocess.PIPE)
    assert vm.stdout.readline().startswith(b"READY")
    yield vm
    vm.kill()
    vm.wait()


@pytest.mark.skipif(os.geteuid() != 0 or not SETPRIV, reason="needs root to drop to nobody")
@pytest.mark.parametrize("command", [("pin",), ("run", "--duration", "1", "--no-live")])
def test_another_users_vmm_is_refused_with_eperm(root_vm, command):
    out = run_as(AS_NOBODY, *command, "--pid", str(root_vm.pid))
    assert out.returncode == 1
    assert b"VMACCEL_EPERM" in out.stderr and b"Permission denied" in out.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not SETPRIV, reason="needs root to drop a capability")
def test_pin_without_cap_sys_nice_reports_each_thread_and_restores(root_vm, tmp_path):
    pid = str(root_vm.pid)
    before = os.sched_getaffinity(root_vm.pid)
    env = {**os.environ, "VMACCEL_STATE_DIR": str(tmp_path / "state")}
    out = run_as([SETPRIV, "--bounding-set=-sys_nice"], "pin", "--pid", pid, "--priority", "-5",
                 env=env)
    assert out.returncode == 1
    text = (out.stdout + out.stderr).decode()
    assert text.count("VMACCEL_EPERM") >= 2, text  # one line per vCPU thread
    assert "vCPU 0" in text and "vCPU 1" in text
    restored = run_as([], "pin", "--pid", pid, "--restore", env=env)
    assert restored.returncode == 0, restored.stderr
    for tid in os.listdir(f"/proc/{pid}/task"):
        assert os.sched_getaffinity(int(tid)) == before


def read_pty(fd, until, seconds):
    """Reads the terminal's output until `until` (bytes) shows or time runs out."""
    import select
    out, end = b"", time.time() + seconds
    while time.time() < end and until not in out:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return out


def last_frame(raw):
    """The last frame the live view drew, as lines without its escapes."""
    text = raw.decode("utf-8", errors="replace")
    frame = text.split("\x1b[H")[-1]
    for seq in ("\x1b[K", "\x1b[J", "\x1b[?7l", "\x1b[?7h"):
        frame = frame.replace(seq, "")
    return frame.split("\r\n")


@pytest.mark.skipif(not WORKLOAD, reason="misplaced_vm not built")
def test_live_view_fits_the_terminal_pages_with_keys_and_restores_it():
    import fcntl
    import pty
    import struct
    import termios
    vms = [subprocess.Popen([WORKLOAD, "--mem-node", "0", "--cpu-node", "0", "--mem-mb", "4",
                             "--seconds", "30"], stdout=subprocess.PIPE) for _ in range(3)]
    master, slave = pty.openpty()
    try:
        for vm in vms:
            assert vm.stdout.readline().startswith(b"READY")
        rows, cols = 6, 60  # two VM lines a page: three VMs make two pages
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        before = termios.tcgetattr(slave)
        args = [CLI, "run", "--interval", "200", "--live"]
        for vm in vms:
            args += ["--pid", str(vm.pid)]
        run_ = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=subprocess.PIPE,
                                start_new_session=True,
                                preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        out = read_pty(master, b"page 1/2", 15)
        frame = last_frame(out)
        assert len(frame) <= rows, frame
        assert all(len(line) <= cols for line in frame), frame
        assert frame[1].startswith("3 VMs"), frame
        assert frame[-1].startswith("page 1/2"), frame
        os.write(master, b"n")
        out = read_pty(master, b"page 2/2", 5)
        assert last_frame(out)[-1].startswith("page 2/2"), last_frame(out)
        os.write(master, b"q")
        assert run_.wait(timeout=10) == 0
        err = run_.stderr.read().decode()
        assert "stopped (Interrupt)" in err, err
        after = termios.tcgetattr(slave)
        assert after[3] & (termios.ICANON | termios.ECHO) == before[3] & (termios.ICANON | termios.ECHO)
    finally:
        os.close(master)
        os.close(slave)
        for vm in vms:
            vm.kill()
            vm.wait()


def polylines(svg):
    """{stroke colour: [(x, y), ...]} of an SVG written by vmaccel plot."""
    import re
    lines = {}
    for colour, pts in re.findall(r"<polyline[^>]*stroke='([^']+)' points='([^']*)'", svg):
        lines.setdefault(colour, []).append([tuple(map(float, p.split(","))) for p in pts.split()])
    return lines


def test_plot_host_wide_rate_is_ram_weighted_and_drops_gone_vms(tmp_path):
    rec = tmp_path / "run.jsonl"
    lines = []
    for t in range(10):
        lines.append({"t": t, "vm": 1, "pid": 11, "local": 0.0, "ram": 1 << 30})
        lines.append({"t": t + 0.01, "vm": 2, "pid": 12, "local": 1.0, "ram": 3 << 30})
    lines.append({"t": 5.5, "vm": 1, "event": "VM_GONE", "message": "VM 1 is gone"})
    rec.write_text("".join(json.dumps(l) + "\n" for l in lines))
    out = run("plot", str(rec))
    assert out.returncode == 0, out.stderr
    svg = out.stdout.decode()
    host = polylines(svg)["#000000"][0]
    # y = 340 - 300 * rate: 3/4 of the RAM is local while both run, all after VM 1 exits.
    before = [y for x, y in host if 0.02 * 700 / 9.01 + 70 < x < 70 + 700 * 5 / 9.01]
    after = [y for x, y in host if x > 70 + 700 * 5.6 / 9.01]
    assert before and all(abs(y - 115.0) < 0.05 for y in before), host
    assert after and all(abs(y - 40.0) < 0.05 for y in after), host
    assert "weighted by guest RAM" in svg


def test_plot_many_vms_draws_host_wide_and_the_worst(tmp_path):
    rec = tmp_path / "run.jsonl"
    rec.write_text("".join(json.dumps({"t": t, "vm": vm, "pid": 100 + vm, "local": vm / 20,
                                       "ram": 1 << 26}) + "\n"
                           for t in range(5) for vm in range(1, 13)))
    svg = run("plot", str(rec)).stdout.decode()
    assert sum(len(v) for v in polylines(svg).values()) == 9  # host-wide + 8 worst
    assert "8 of 12 VMs drawn" in svg
    svg = run("plot", str(rec), "--worst", "2").stdout.decode()
    assert sum(len(v) for v in polylines(svg).values()) == 3
    assert "VM 1 (pid 101)" in svg and "VM 2 (pid 102)" in svg and "VM 3 (pid" not in svg
    svg = run("plot", str(rec), "--worst", "0").stdout.decode()
    assert list(polylines(svg)) == ["#000000"]
    assert run("plot", str(rec), "--worst", "-1").returncode == 2


@pytest.mark.skipif(os.geteuid() != 0 or not SETPRIV, reason="needs root to drop to nobody")
def test_run_at_the_process_limit_fails_cleanly():
    # RLIMIT_NPROC binds only without privilege: as nobody, one process and
    # no room for the loop thread. (Nor for LeakSanitizer's at exit: the
    # ASan build leaves the leak check to the other tests.)
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    out = subprocess.run([*AS_NOBODY, "bash", "-c", 'ulimit -u 1 && exec "$0" run --qemu '
                          '--duration 2 --no-live', CLI], capture_output=True, timeout=60,
                         env=env)
    assert out.returncode == 1, out.stderr
    assert b"cannot start balancing" in out.stderr and b"loop thread" in out.stderr, out.stderr
    for mark in SANITIZER_MARKS:
        assert mark.encode() not in out.stderr
