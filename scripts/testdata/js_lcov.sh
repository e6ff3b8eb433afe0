#!/usr/bin/env bash
# Produce real Istanbul / LCOV / Clover test data with the real tools, and record what the tools
# themselves print, so that tests can compare coverhub's numbers with the tools' own output.
#
#   scripts/testdata/js_lcov.sh OUT_DIR
#
# What it does:
#   1. installs pinned c8 and nyc (and tape, the test runner of the package under test) with npm into
#      .cache/npm-tools of the work tree (nothing global; reused when already there);
#   2. npm-packs minimist@1.2.8 (a small real package whose tarball ships its own tape test suite);
#   3. runs that test suite under c8 (V8 coverage) and under nyc (Istanbul instrumentation) with the
#      reporters json, json-summary, lcov, clover, cobertura and text-summary, recording text-summary;
#   4. runs the suite in two halves under nyc (a.info, b.info) and records `lcov --summary` of each, of
#      the full lcov.info and of the merge `lcov -a a.info -a b.info` (lines, functions, branches).
# Absolute paths of the scratch directory are replaced by /src/minimist so outputs are stable.
#
# Needs: node + npm (Debian: nodejs npm), lcov (Debian: lcov). Fails loudly if one is missing.
set -euo pipefail

OUT=${1:?usage: js_lcov.sh OUT_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOOLS=${COVERHUB_NPM_TOOLS:-$ROOT/.cache/npm-tools}
C8_VERSION=10.1.3
NYC_VERSION=17.1.0
TAPE_VERSION=5.10.2
PKG=minimist@1.2.8
STABLE=/src/minimist

for tool in node npm lcov; do
    command -v "$tool" >/dev/null || { echo "js_lcov.sh: '$tool' not found (apt-get install -y nodejs npm lcov)" >&2; exit 2; }
done

mkdir -p "$TOOLS"
if [ ! -x "$TOOLS/node_modules/.bin/c8" ] || [ ! -x "$TOOLS/node_modules/.bin/nyc" ] \
    || [ "$(node -p "require('$TOOLS/node_modules/c8/package.json').version" 2>/dev/null)" != "$C8_VERSION" ] \
    || [ "$(node -p "require('$TOOLS/node_modules/nyc/package.json').version" 2>/dev/null)" != "$NYC_VERSION" ]; then
    (cd "$TOOLS" && { [ -f package.json ] || echo '{"private": true}' > package.json; } \
        && npm install --no-audit --no-fund --loglevel=error \
            "c8@$C8_VERSION" "nyc@$NYC_VERSION" "tape@$TAPE_VERSION" >/dev/null)
fi
if [ ! -f "$TOOLS/minimist-1.2.8.tgz" ]; then
    (cd "$TOOLS" && npm pack --loglevel=error "$PKG" >/dev/null)
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SRC=$WORK/minimist
mkdir -p "$SRC"
tar xzf "$TOOLS/minimist-1.2.8.tgz" -C "$SRC" --strip-components=1
export NODE_PATH=$TOOLS/node_modules
C8=$TOOLS/node_modules/.bin/c8
NYC=$TOOLS/node_modules/.bin/nyc
TAPE=$TOOLS/node_modules/.bin/tape
REPORTERS=(--reporter=json --reporter=json-summary --reporter=lcov --reporter=clover
           --reporter=cobertura --reporter=text-summary)

cd "$SRC"
"$C8" "${REPORTERS[@]}" --report-dir="$WORK/c8" --temp-directory="$WORK/c8tmp" \
    "$TAPE" 'test/*.js' > "$WORK/c8.tap" 2>&1 || { cat "$WORK/c8.tap" >&2; exit 1; }
"$NYC" "${REPORTERS[@]}" --report-dir="$WORK/nyc" --temp-dir="$WORK/nyctmp" \
    "$TAPE" 'test/*.js' > "$WORK/nyc.tap" 2>&1 || { cat "$WORK/nyc.tap" >&2; exit 1; }
# The test suite in two halves, for merge checks.
"$NYC" --reporter=lcovonly --report-dir="$WORK/half_a" --temp-dir="$WORK/tmp_a" \
    "$TAPE" 'test/[a-m]*.js' > /dev/null 2>&1
"$NYC" --reporter=lcovonly --report-dir="$WORK/half_b" --temp-dir="$WORK/tmp_b" \
    "$TAPE" 'test/[n-z]*.js' > /dev/null 2>&1

# nyc's own merge of the two halves' raw .nyc_output files (Istanbul-level merge).
mkdir -p "$WORK/tmp_ab"
# (each half writes one file per node process: the tape process and a zero-count twin)
shopt -s nullglob
for half in a b; do
    i=0
    for f in "$WORK/tmp_$half"/*.json; do
        dup=
        for g in "$WORK"/tmp_ab/*.json; do cmp -s "$f" "$g" && dup=1; done
        [ -n "$dup" ] && continue  # identical twins add nothing but bytes
        i=$((i + 1))
        cp "$f" "$WORK/tmp_ab/$half$i.json"
    done
done
"$NYC" report --temp-dir="$WORK/tmp_ab" --report-dir="$WORK/merged" --reporter=text-summary \
    --reporter=json > "$WORK/merged.txt" 2>&1

mkdir -p "$OUT/js/c8" "$OUT/js/nyc" "$OUT/js/nyc_halves" "$OUT/lcov"
scrub() { sed -e "s#$SRC#$STABLE#g" "$1" > "$2"; }
for tool in c8 nyc; do
    # text-summary goes to stdout after the TAP output: keep only the summary block.
    sed -n '/^=* Coverage summary =*$/,/^=*$/p' "$WORK/$tool.tap" > "$OUT/js/$tool/text-summary.txt"
    for f in coverage-final.json coverage-summary.json lcov.info clover.xml cobertura-coverage.xml; do
        scrub "$WORK/$tool/$f" "$OUT/js/$tool/$f"
    done
done
for f in "$WORK"/tmp_ab/*.json; do
    scrub "$f" "$OUT/js/nyc_halves/$(basename "$f")"
done
sed -n '/^=* Coverage summary =*$/,/^=*$/p' "$WORK/merged.txt" > "$OUT/js/nyc_halves/text-summary-merged.txt"
scrub "$WORK/half_a/lcov.info" "$OUT/lcov/a.info"
scrub "$WORK/half_b/lcov.info" "$OUT/lcov/b.info"

BR=(--rc lcov_branch_coverage=1)
cd "$OUT/lcov"
lcov "${BR[@]}" --summary ../js/nyc/lcov.info > summary_nyc.txt 2>&1
lcov "${BR[@]}" --summary ../js/c8/lcov.info > summary_c8.txt 2>&1
lcov "${BR[@]}" --summary a.info > summary_a.txt 2>&1
lcov "${BR[@]}" --summary b.info > summary_b.txt 2>&1
lcov "${BR[@]}" -q -a a.info -a b.info -o merged.info
lcov "${BR[@]}" --summary merged.info > summary_merged.txt 2>&1
# Hand-made edge cases (genhtml-style clamping, negative counts, repeated records, several tests).
awk 'BEGIN{print "SF:high.c"; for(i=1;i<=2000;i++) print "DA:" i "," (i==1?0:3); print "end_of_record"}' > edge_clamp_high.info
awk 'BEGIN{print "SF:low.c"; for(i=1;i<=3000;i++) print "DA:" i "," (i==1?1:0); print "end_of_record"}' > edge_clamp_low.info
printf '%s\n' 'TN:t1' 'SF:x.c' 'FN:1,main' 'FNDA:0,main' 'DA:1,-5' 'DA:2,0' 'BRDA:2,0,0,-' 'BRDA:2,0,1,-' \
    'end_of_record' 'TN:t2' 'SF:x.c' 'FN:1,main' 'FNDA:2,main' 'DA:2,4' 'DA:3,0' 'BRDA:2,0,0,3' \
    'end_of_record' 'SF:x.c' 'DA:3,1' 'BRDA:2,0,1,0' 'end_of_record' 'SF:y.c' 'DA:1,1' 'end_of_record' \
    > edge_merge.info
for f in edge_clamp_high edge_clamp_low edge_merge; do
    lcov "${BR[@]}" --summary "$f.info" > "summary_$f.txt" 2>&1
done
lcov --version > lcov_version.txt
{
    echo "node $(node --version)"
    for p in c8 nyc tape istanbul-lib-coverage istanbul-reports v8-to-istanbul; do
        echo "$p $(node -p "require('$TOOLS/node_modules/$p/package.json').version")"
    done
    echo "package $PKG"
} > "$OUT/js/versions.txt"
