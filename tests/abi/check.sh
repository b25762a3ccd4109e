#!/usr/bin/env bash
# ABI checks on the built shared library:
#  symbols   only vmaccel_* names are exported
#  abidiff   no incompatible change against capi/abi/libvmaccel.abi
#  baseline  rewrite the baseline (after an intended change; see docs/ABI.md)
set -euo pipefail
mode=$1 lib=$2 src=$3
baseline="$src/capi/abi/libvmaccel.abi"
headers="$src/capi/include/vmaccel"

case $mode in
symbols)
  leaked=$(nm -D --defined-only "$lib" | awk '{print $3}' |
           grep -vE '^(vmaccel_|VMACCEL_[0-9]+$|_init$|_fini$|_edata$|_end$|__bss_start$)' | grep -v '^$' || true)
  if [[ -n $leaked ]]; then
    echo "exported symbols outside vmaccel_*:"; echo "$leaked"; exit 1
  fi
  echo "exports: $(nm -D --defined-only "$lib" | grep -c ' vmaccel_') vmaccel_* symbols, nothing else"
  ;;
abidiff)
  set +e
  abidiff --no-added-syms --headers-dir2 "$headers" "$baseline" "$lib"
  rc=$?
  set -e
  # abidiff's status bits: 1 error, 2 usage error, 4 ABI change, 8 incompatible.
  # A changed struct layout only sets bit 4 ("may be incompatible"), and with
  # --no-added-syms new functions set nothing, so any non-zero status fails.
  if (( rc != 0 )); then
    echo "abidiff: incompatible ABI change or error (status $rc) against $baseline"
    echo "If the change is intended, bump VMACCEL_ABI_MAJOR or follow docs/ABI.md."
    exit 1
  fi
  echo "abidiff: compatible with the baseline (status $rc)"
  ;;
baseline)
  abidw --headers-dir "$headers" --out-file "$baseline" "$lib"
  echo "wrote $baseline"
  ;;
*) echo "usage: check.sh symbols|abidiff|baseline LIB SRC" >&2; exit 2 ;;
esac
