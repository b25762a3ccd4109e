#!/usr/bin/env bash
# Runs a Windows program of the `windows` build under Wine (Debian's wine64)
# with a Wine prefix kept under build/ (made on first use, ~10 s) and Wine's
# own debug chatter off. The build's ctest and test discovery use it as the
# cross-compiling emulator; by hand: scripts/wine-run.sh build/windows/cli/vmaccel.exe probe
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
exec "$wine" "$@"
