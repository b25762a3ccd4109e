#!/usr/bin/env bash
# Installs the Python packages the tests need (requirements-dev.txt) into the
# python3 on PATH, unless they are already importable.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if python3 - "$here/requirements-dev.txt" <<'PY'
import importlib.util, re, sys
names = [re.split(r"[<>=!~ \[]", l.strip())[0] for l in open(sys.argv[1])
         if l.strip() and not l.startswith("#")]
modules = {"protobuf": "google.protobuf", "grpcio-tools": "grpc_tools"}
sys.exit(0 if all(importlib.util.find_spec(modules.get(n, n).replace("-", "_"))
                  for n in names) else 1)
PY
then
  echo "install-python-deps: all present"
  exit 0
fi
python3 -m pip install --quiet --disable-pip-version-check -r "$here/requirements-dev.txt"
