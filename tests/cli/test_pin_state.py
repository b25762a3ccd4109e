"""`vmaccel pin`'s saved state as two local users meet it on one host
(docs/RELIABILITY.md, "Saved affinity state"): the originals are saved
before anything changes, only in a directory that is the user's alone,
never through another user's files, and `--restore` trusts only a file no
one else can write.

Each test runs the command as unprivileged users (setpriv, numeric uids with
no passwd entry) against a real process whose threads are named like QEMU's
vCPUs and run as the same user, and reads /proc/TID/status before and after.
Every directory is a fresh one under a temporary base: nothing here depends
on (or touches) the machine's /run/vmaccel or XDG_RUNTIME_DIR."""
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

import pytest

CLI = os.environ.get("VMACCEL_CLI", "vmaccel")
SETPRIV = shutil.which("setpriv")
SANITIZER_MARKS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0 or not SETPRIV,
                       reason="needs root and setpriv to act as two users"),
    pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2,
                       reason="pinning changes nothing visible on one CPU"),
]

# A VMM stand-in (sleeping threads named like QEMU's), passed as text: the
# test users may not be able to read the source tree.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                       "fake_vmm.py")) as _f:
    FAKE_VMM = _f.read()


def unused_uids(count):
    """uids with no passwd entry and no process: nobody else's files."""
    running = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            running.add(os.stat(f"/proc/{pid}").st_uid)
        except FileNotFoundError:
            pass
    found = []
    for uid in range(62001, 63000):
        try:
            pwd.getpwuid(uid)
        except KeyError:
            if uid not in running:
                found.append(uid)
                if len(found) == count:
                    return found
    pytest.skip("no unused uid in 62001..62999")


@pytest.fixture(scope="module")
def base():
    """A temporary base every test user can traverse (/tmp/pytest-of-root
    is root's alone), with a shared sticky directory like /tmp in it."""
    path = tempfile.mkdtemp(prefix="vmaccel-pin-state-")
    os.chmod(path, 0o755)
    os.mkdir(os.path.join(path, "shared"))
    os.chmod(os.path.join(path, "shared"), 0o1777)
    yield path
    shutil.rmtree(path)


@pytest.fixture(scope="module")
def cli(base):
    """The command as the test users can run it: the build tree may sit in
    a directory only root can enter, so the binary and libvmaccel are
    copied into the base when it does."""
    uid = unused_uids(1)[0]
    probe = subprocess.run([SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                            CLI, "--version"], capture_output=True, timeout=30)
    if probe.returncode == 0:
        return [CLI], {}
    staged = os.path.join(base, "bin")
    os.mkdir(staged)
    ldd = subprocess.run(["ldd", CLI], capture_output=True, text=True, check=True).stdout
    for line in ldd.splitlines():
        if "libvmaccel" in line and "=>" in line:
            shutil.copy(line.split("=>")[1].split()[0], staged)
    shutil.copy(CLI, staged)
    for name in os.listdir(staged):
        os.chmod(os.path.join(staged, name), 0o755)
    return [os.path.join(staged, os.path.basename(CLI))], {"LD_LIBRARY_PATH": staged}


class User:
    """One unprivileged user: its uid, a private runtime directory (as
    XDG_RUNTIME_DIR would be), and the command run as it."""

    def __init__(self, uid, base, cli):
        self.uid = uid
        self.cli, self.cli_env = cli
        self.runtime = os.path.join(base, f"run-{uid}")
        os.mkdir(self.runtime, 0o700)
        os.chown(self.runtime, uid, uid)

    def prefix(self):
        return [SETPRIV, f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups"]

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items()
               if k not in ("VMACCEL_STATE_DIR", "XDG_RUNTIME_DIR", "HOME")}
        env.update(self.cli_env)
        env.update({k: v for k, v in extra.items() if v is not None})
        return env

    def vmaccel(self, *args, state_dir=None, xdg=None):
        proc = subprocess.run([*self.prefix(), *self.cli, *args], capture_output=True,
                              text=True, timeout=60,
                              env=self.env(VMACCEL_STATE_DIR=state_dir, XDG_RUNTIME_DIR=xdg))
        for mark in SANITIZER_MARKS:
            assert mark not in proc.stderr, proc.stderr
        return proc

    def make(self, path, mode, owner=None):
        """A directory owned by `owner` (this user by default)."""
        os.mkdir(path)
        owner = self.uid if owner is None else owner
        os.chown(path, owner, owner)
        os.chmod(path, mode)
        return path


@pytest.fixture
def users(base, cli):
    victim, other = unused_uids(2)
    made = [User(victim, base, cli), User(other, base, cli)]
    yield made
    for u in made:
        shutil.rmtree(u.runtime, ignore_errors=True)


@pytest.fixture
def vmm(users):
    """The victim's own VMM (the first user's)."""
    proc = subprocess.Popen([*users[0].prefix(), sys.executable, "-c", FAKE_VMM],
                            stdout=subprocess.PIPE, text=True, env=users[0].env())
    assert proc.stdout.readline().strip() == "ready"
    yield proc
    proc.kill()
    proc.wait()


def vcpu_cpus(pid):
    """{tid: Cpus_allowed_list} of the process's "CPU n/TCG" threads."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            if not f.read().startswith("CPU "):
                continue
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                if line.startswith("Cpus_allowed_list:"):
                    out[int(tid)] = line.split()[1]
    assert len(out) == 2, out
    return out


def refused_unchanged(user, vmm, *words, **where):
    """`vmaccel pin` as `user` exits 1 naming the problem, and no thread
    of the VMM has changed."""
    before = vcpu_cpus(vmm.pid)
    out = user.vmaccel("pin", "--pid", str(vmm.pid), **where)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "nothing was changed" in out.stderr, out.stderr
    for word in words:
        assert word in out.stderr, out.stderr
    assert "pinned" not in out.stdout
    assert vcpu_cpus(vmm.pid) == before
    return out


def pinned(user, vmm, **where):
    out = user.vmaccel("pin", "--pid", str(vmm.pid), **where)
    assert out.returncode == 0, out.stdout + out.stderr
    assert all("," not in c and "-" not in c for c in vcpu_cpus(vmm.pid).values())
    return out


def test_a_user_saves_in_xdg_runtime_dir_and_restores(users, vmm):
    victim = users[0]
    before = vcpu_cpus(vmm.pid)
    out = pinned(victim, vmm, xdg=victim.runtime)
    state_dir = os.path.join(victim.runtime, "vmaccel")
    state = os.path.join(state_dir, f"pin-{vmm.pid}.json")
    assert f"original affinity saved in {state}" in out.stderr
    st_dir, st = os.lstat(state_dir), os.lstat(state)
    assert (st_dir.st_uid, st_dir.st_mode & 0o7777) == (victim.uid, 0o700)
    assert (st.st_uid, st.st_mode & 0o7777) == (victim.uid, 0o600)
    assert os.listdir(state_dir) == [f"pin-{vmm.pid}.json"]  # no temporary file left
    out = victim.vmaccel("pin", "--restore", "--pid", str(vmm.pid), xdg=victim.runtime)
    assert out.returncode == 0, out.stderr
    assert vcpu_cpus(vmm.pid) == before
    assert not os.path.exists(state)


def test_a_root_owned_run_vmaccel_does_not_stop_a_user(users, vmm):
    """The issue's first case: /run/vmaccel made 0700 by an earlier root run.
    In a private mount namespace a fresh tmpfs on /run gets exactly that; the
    user's run saves in XDG_RUNTIME_DIR and never touches /run/vmaccel."""
    victim = users[0]
    ns = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                         "mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0700 /run/vmaccel"
                         " && exec \"$@\"", "sh", *victim.prefix(), *victim.cli, "pin",
                         "--pid", str(vmm.pid)],
                        capture_output=True, text=True, timeout=60,
                        env=victim.env(XDG_RUNTIME_DIR=victim.runtime))
    if ns.returncode != 0 and ("unshare:" in ns.stderr or "mount:" in ns.stderr):
        pytest.skip(f"no private mount namespace here: {ns.stderr.strip()}")
    assert ns.returncode == 0, ns.stdout + ns.stderr
    assert os.path.exists(os.path.join(victim.runtime, "vmaccel", f"pin-{vmm.pid}.json"))
    out = victim.vmaccel("pin", "--restore", "--pid", str(vmm.pid), xdg=victim.runtime)
    assert out.returncode == 0, out.stderr


def test_a_root_owned_state_dir_is_refused_before_pinning(users, vmm, base):
    victim = users[0]
    root_dir = victim.make(os.path.join(base, "root-0700"), 0o700, owner=0)
    refused_unchanged(victim, vmm, f"{root_dir} is owned by uid 0, not you (uid {victim.uid})",
                      state_dir=root_dir)


def test_no_state_dir_refuses_and_says_what_to_do(users, vmm):
    """Neither root nor XDG_RUNTIME_DIR: no fallback to a /tmp path."""
    victim = users[0]
    tmp_guess = f"/tmp/vmaccel-{victim.uid}"
    existed = os.path.lexists(tmp_guess)
    refused_unchanged(victim, vmm, "XDG_RUNTIME_DIR is not set", "VMACCEL_STATE_DIR",
                      "--no-save")
    assert existed or not os.path.lexists(tmp_guess)


def test_another_users_directory_and_symlink_are_refused_target_untouched(users, vmm, base):
    """The issue's second case: another user made the directory (0777) and
    planted pin-PID.json -> the victim's file."""
    victim, other = users
    target = os.path.join(victim.runtime, "precious")
    with open(target, "w") as f:
        f.write("precious\n")
    os.chown(target, victim.uid, victim.uid)
    planted = other.make(os.path.join(base, "shared", f"vmaccel-{victim.uid}"), 0o777)
    os.symlink(target, os.path.join(planted, f"pin-{vmm.pid}.json"))
    refused_unchanged(victim, vmm, f"owned by uid {other.uid}, not you (uid {victim.uid})",
                      state_dir=planted)
    # A symbolic link to a directory of the victim's own is not followed either.
    own = victim.make(os.path.join(victim.runtime, "own"), 0o700)
    link = os.path.join(base, "shared", f"link-{victim.uid}")
    os.symlink(own, link)
    refused_unchanged(victim, vmm, f"{link} is a symbolic link, not a directory",
                      state_dir=link)
    # A symlink left in the victim's own directory is not followed.
    os.symlink(target, os.path.join(own, f"pin-{vmm.pid}.json"))
    refused_unchanged(victim, vmm, f"pin-{vmm.pid}.json is a symbolic link: not followed",
                      state_dir=own)
    with open(target) as f:
        assert f.read() == "precious\n"
    assert os.listdir(own) == [f"pin-{vmm.pid}.json"]


@pytest.mark.parametrize("mode,words", [(0o777, "is writable by every user (mode 0777)"),
                                        (0o770, "is writable by its group (mode 0770)")])
def test_a_directory_others_can_write_is_refused(users, vmm, base, mode, words):
    victim = users[0]
    state_dir = victim.make(os.path.join(base, f"open-{mode:o}"), mode)
    refused_unchanged(victim, vmm, words, state_dir=state_dir)
    assert os.listdir(state_dir) == []


def test_no_state_dir_is_made_where_others_can_swap_it(users, vmm, base):
    victim, other = users
    loose = other.make(os.path.join(base, "loose"), 0o777)  # world-writable, no sticky bit
    refused_unchanged(victim, vmm, "without the sticky bit (mode 0777)",
                      state_dir=os.path.join(loose, "state"))
    assert os.listdir(loose) == []
    # In a sticky shared directory it is made, 0700.
    state_dir = os.path.join(base, "shared", f"state-{victim.uid}")
    pinned(victim, vmm, state_dir=state_dir)
    st = os.lstat(state_dir)
    assert (st.st_uid, st.st_mode & 0o7777) == (victim.uid, 0o700)


def test_a_failed_save_leaves_the_affinity_unchanged(users, vmm, base):
    """The directory is right but no file can be made in it (0500)."""
    victim = users[0]
    state_dir = victim.make(os.path.join(base, "read-only"), 0o500)
    refused_unchanged(victim, vmm, "cannot create a temporary file", "Permission denied",
                      state_dir=state_dir)
    assert os.listdir(state_dir) == []


def test_no_save_pins_and_says_nothing_can_be_restored(users, vmm, base):
    victim = users[0]
    state_dir = victim.make(os.path.join(base, "unused"), 0o700)
    before = vcpu_cpus(vmm.pid)
    out = victim.vmaccel("pin", "--pid", str(vmm.pid), "--no-save", state_dir=state_dir)
    assert out.returncode == 0, out.stderr
    assert "nothing can restore them" in out.stderr
    assert vcpu_cpus(vmm.pid) != before
    assert os.listdir(state_dir) == []
    out = victim.vmaccel("pin", "--restore", "--pid", str(vmm.pid), state_dir=state_dir)
    assert out.returncode == 1 and "no saved affinity" in out.stderr


def restore_refused(user, vmm, state_dir, *words):
    during = vcpu_cpus(vmm.pid)
    out = user.vmaccel("pin", "--restore", "--pid", str(vmm.pid), state_dir=state_dir)
    assert out.returncode == 1, out.stdout + out.stderr
    for word in words:
        assert word in out.stderr, out.stderr
    assert vcpu_cpus(vmm.pid) == during


def test_restore_rejects_a_state_file_another_user_can_write(users, vmm, base):
    victim, other = users
    before = vcpu_cpus(vmm.pid)
    state_dir = victim.make(os.path.join(base, "state"), 0o700)
    pinned(victim, vmm, state_dir=state_dir)
    state = os.path.join(state_dir, f"pin-{vmm.pid}.json")
    name = os.path.basename(state)
    os.chmod(state, 0o666)
    restore_refused(victim, vmm, state_dir, f"{name} is writable by every user (mode 0666): "
                    "not trusted")
    os.chmod(state, 0o620)
    restore_refused(victim, vmm, state_dir, f"{name} is writable by its group")
    os.chmod(state, 0o600)
    os.chown(state, other.uid, other.uid)
    restore_refused(victim, vmm, state_dir, f"{name} is owned by uid {other.uid}, not you "
                    f"(uid {victim.uid}) or root")
    os.chown(state, victim.uid, victim.uid)
    os.chmod(state_dir, 0o733)
    restore_refused(victim, vmm, state_dir, f"{state_dir} is writable by")
    os.chmod(state_dir, 0o700)
    os.rename(state, state + ".real")
    os.symlink(state + ".real", state)
    restore_refused(victim, vmm, state_dir, f"{name} is a symbolic link: not followed")
    os.unlink(state)
    os.rename(state + ".real", state)
    out = victim.vmaccel("pin", "--restore", "--pid", str(vmm.pid), state_dir=state_dir)
    assert out.returncode == 0, out.stderr
    assert vcpu_cpus(vmm.pid) == before


def test_restore_still_checks_the_process_identity(users, vmm, base):
    """A trusted file saved for another process (a recycled pid) is refused
    by the library's pid and start-time check."""
    victim = users[0]
    state_dir = victim.make(os.path.join(base, "identity"), 0o700)
    pinned(victim, vmm, state_dir=state_dir)
    other_vmm = subprocess.Popen([*victim.prefix(), sys.executable, "-c", FAKE_VMM],
                                 stdout=subprocess.PIPE, text=True, env=victim.env())
    try:
        assert other_vmm.stdout.readline().strip() == "ready"
        src = os.path.join(state_dir, f"pin-{vmm.pid}.json")
        dst = os.path.join(state_dir, f"pin-{other_vmm.pid}.json")
        shutil.copy(src, dst)
        os.chown(dst, victim.uid, victim.uid)
        restore_refused(victim, other_vmm, state_dir, "VMACCEL_ESTATE", "a different process")
    finally:
        other_vmm.kill()
        other_vmm.wait()


def test_pinning_twice_restores_the_first_originals(users, vmm, base):
    victim = users[0]
    before = vcpu_cpus(vmm.pid)
    state_dir = victim.make(os.path.join(base, "twice"), 0o700)
    pinned(victim, vmm, state_dir=state_dir)
    out = victim.vmaccel("pin", "--pid", str(vmm.pid), "--strategy", "load-balanced",
                         "--smt", "pack", state_dir=state_dir)
    assert out.returncode == 0, out.stderr
    assert "keeping the originals an earlier pin saved" in out.stderr
    out = victim.vmaccel("pin", "--restore", "--pid", str(vmm.pid), state_dir=state_dir)
    assert out.returncode == 0, out.stderr
    assert vcpu_cpus(vmm.pid) == before


def test_root_refuses_a_state_dir_a_user_owns(users, vmm, base, cli):
    """Root's saved state never goes where a user could edit it."""
    victim = users[0]
    user_dir = victim.make(os.path.join(base, "users-dir"), 0o700)
    before = vcpu_cpus(vmm.pid)
    env = {**os.environ, **cli[1], "VMACCEL_STATE_DIR": user_dir}
    out = subprocess.run([*cli[0], "pin", "--pid", str(vmm.pid)], capture_output=True,
                         text=True, timeout=60, env=env)
    assert out.returncode == 1
    assert f"{user_dir} is owned by uid {victim.uid}, not you (uid 0)" in out.stderr
    assert vcpu_cpus(vmm.pid) == before
