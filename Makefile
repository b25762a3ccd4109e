# vm-accel: the two commands of the README, and the steps behind them.
#   make demo   run the main job on this host
#   make test   build and run every test (default and ASan/UBSan builds)
# Each installs what it needs first (Debian packages, Python test tools).

PRESETS_TESTED := default asan
JOBS ?= $(shell nproc)

.PHONY: demo test deps build build-% test-% clean

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

demo: build-default
	scripts/demo.sh

clean:
	rm -rf build
