#!/usr/bin/env bash
# libvmaccel.dll exports exactly the functions the public headers declare
# with VMACCEL_API: nothing of libuv, hwloc, protobuf-c, json-c or the
# runtime's internals, and no public function missing. Read from the
# DLL's export table (objdump -p).
# usage: check_exports.sh OBJDUMP DLL INCLUDE_DIR
set -euo pipefail
objdump=$1 dll=$2 include=$3
exported=$("$objdump" -p "$dll" |
  sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' |
  sed -n 's/^[[:space:]]*\[ *[0-9]*\] //p' | sort)
declared=$(cat "$include"/vmaccel/*.h | tr '\n' ' ' |
  grep -o 'VMACCEL_API[^;{]*' | grep -o '\bvmaccel_[a-z0-9_]* *(' |
  sed 's/ *($//' | sort -u)
[[ -n $exported ]] || { echo "no export table in $dll" >&2; exit 1; }
strangers=$(comm -23 <(echo "$exported") <(echo "$declared"))
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))
if [[ -n $strangers || -n $missing ]]; then
  [[ -z $strangers ]] || printf 'exported but not public API:\n%s\n' "$strangers" >&2
  [[ -z $missing ]] || printf 'public API not exported:\n%s\n' "$missing" >&2
  exit 1
fi
echo "$(echo "$exported" | wc -l) exports, all vmaccel_* and all declared with VMACCEL_API"
