#!/usr/bin/env bash
# Runs a Windows program of the `windows` build under Wine (Debian's wine64)
# with a Wine prefix kept under build/ and Wine's own debug chatter off. The
# build's ctest uses it as the cross-compiling emulator; by hand:
#   scripts/wine-run.sh build/windows/bin/vmaccel.exe probe
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
wine=${VMACCEL_WINE:-/usr/lib/wine/wine64}
if [[ ! -x $wine ]]; then
  echo "wine-run: $wine not found (Debian package wine64)" >&2
  exit 127
fi
export WINEPREFIX=${WINEPREFIX:-$repo/build/wineprefix}
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}  # no Mono/Gecko prompts

# The first use makes the prefix (~10 s). Two first uses at once (ctest -j)
# race in Wine's setup ("fixed a temporary directory error, please try
# running the same command again"), so one makes it under a lock while the
# others wait; the marker is written once wineboot has finished.
ready=$WINEPREFIX/.vmaccel-ready
if [[ ! -e $ready ]]; then
  mkdir -p "$(dirname "$WINEPREFIX")"
  exec 9>"$WINEPREFIX.lock"
  flock 9
  if [[ ! -e $ready ]]; then
    "$wine" wineboot --init >/dev/null 2>&1 || { echo "wine-run: wineboot failed" >&2; exit 1; }
    touch "$ready"
  fi
  exec 9>&-
fi
exec "$wine" "$@"
