#!/usr/bin/env bash
# Makes a virtualenv in the build tree and installs bindings/python into it
# with pip, as a user would (`pip install ./bindings/python`). The venv sees
# the system site-packages, where scripts/install-python-deps.sh put the
# build and test requirements, so nothing is downloaded here; the CMake
# build directory is kept between runs so that rebuilds are incremental.
#   tests/python/install.sh PYTHON BUILD_DIR SOURCE_DIR
set -euo pipefail
python=$1 build=$2 src=$3
venv="$build/python-venv"
[[ -x "$venv/bin/python" ]] || "$python" -m venv --system-site-packages "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --no-build-isolation --no-deps --force-reinstall \
  -C build-dir="$build/python-build" "$src/bindings/python"
"$venv/bin/python" -c "import vmaccel, sys; print('installed vmaccel', vmaccel.version(), 'in', sys.prefix)"
