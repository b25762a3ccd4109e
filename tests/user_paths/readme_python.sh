#!/usr/bin/env bash
# The README's Python path, as a user follows it: a fresh venv,
# `pip install ./bindings/python` (pip fetches the build requirements
# itself, as it does for a user), then the README's example
# (examples/python/watch.py, which tests/python/test_examples.py checks is
# the README's block) against a real QEMU VM. Passes when it prints the
# VM_ATTACHED event of that VM.
#   tests/user_paths/readme_python.sh SOURCE_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/qemu_vm.sh"
work=$(mktemp -d)
trap 'stop_qemu; rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
(cd "$src" && "$work/venv/bin/pip" install --quiet --disable-pip-version-check ./bindings/python)

start_qemu readme-py-path
expect_line 60 "^EVENT_TYPE_VM_ATTACHED VM 1 \"readme-py-path\" \\(pid $qemu_pid, 2 vCPUs\\) attached$" \
  "$work/venv/bin/python" -u "$src/examples/python/watch.py" "$qemu_pid"
echo "PASSED: the README's Python path"
