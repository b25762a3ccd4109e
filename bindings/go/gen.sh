#!/usr/bin/env bash
# Regenerates vmaccelpb/vmaccel.pb.go from proto/vmaccel.proto with protoc and
# the protoc-gen-go version go.mod pins. The output is committed so that
# `go build` needs no protoc; TestGeneratedProtoIsCurrent checks it.
#   gen.sh [OUTDIR]   (default: this module's directory)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
(cd "$here" && go build -o "$tools/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go)
mkdir -p "$out"
protoc -I "$here/../../proto" --plugin=protoc-gen-go="$tools/protoc-gen-go" \
  --go_out="$out" --go_opt=module=github.com/vm-accel/vmaccel/bindings/go \
  "$here/../../proto/vmaccel.proto"
