# vm-accel: the two commands of the README, and the steps behind them.
#   make demo   run the main job on this host
#   make test   build and run every test (default, ASan/UBSan and release
#               builds; the release build also follows the README's Go and
#               Python install paths)
#   make test-PRESET, build-PRESET   one preset of CMakePresets.json
#   make check-bench   run bench/RESULTS.md's commands in quick mode
#   make test-windows   cross-build for Windows (mingw-w64), test under Wine
# Each installs what it needs first (Debian packages, Python test tools).

PRESETS_TESTED := default asan release
JOBS ?= $(shell nproc)

.PHONY: demo test deps build build-windows build-% test-% check-bench clean

deps:
	scripts/install-deps.sh
	scripts/install-python-deps.sh

build: build-default

build-%: deps
	cmake --preset $* >/dev/null
	cmake --build --preset $* -j $(JOBS)

test-%: build-%
	ctest --preset $* -j $(JOBS)

test: $(addprefix test-,$(PRESETS_TESTED))

# Windows: the dependencies are cross-built once (cached in build/windows-deps).
build-windows: deps
	nice scripts/build-windows-deps.sh
	cmake --preset windows >/dev/null
	cmake --build --preset windows -j $(JOBS)

check-bench: build-release test-release
	bench/check_commands.sh

demo: build-default
	scripts/demo.sh

clean:
	rm -rf build
