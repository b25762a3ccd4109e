#!/usr/bin/env bash
# The main job on this host: what vm-accel detects and sets up here.
# (It grows into the live rebalancing demo as the NUMA engine lands.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
vmaccel="$root/build/default/cli/vmaccel"
out="$root/build/demo"
mkdir -p "$out"

echo "== vmaccel probe"
"$vmaccel" probe
echo
echo "== vmaccel report --setup-full (text)"
"$vmaccel" report --setup-full --format text | tee "$out/report.txt" | sed -n '/^hypervisors/,$p'
"$vmaccel" report --setup-full --format json > "$out/report.json"
"$vmaccel" report --setup-full --format pb > "$out/report.pb"
echo
echo "demo outputs: $out/report.{txt,json,pb}"
