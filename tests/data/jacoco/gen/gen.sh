#!/usr/bin/env bash
# Regenerate tests/data/jacoco/{jacoco.xml,html-total.txt} with the real JaCoCo (Debian
# libjacoco-java 0.8.6, core + report API; Debian ships no jacococli/agent manifest) on Java 17:
#   apt-get install -y libjacoco-java   (pulls libasm-java)
#   bash tests/data/jacoco/gen/gen.sh [OUT_DIR]
# The classes are compiled for Java 11 (class version 55): JaCoCo 0.8.6 reads class files up to
# Java 15 only. html-total.txt keeps the "Total" row of JaCoCo's own HTML index (its headline).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/..}
J=/usr/share/java
CP=$J/org.jacoco.core.jar:$J/org.jacoco.report.jar:$J/asm.jar:$J/asm-commons.jar:$J/asm-tree.jar
for f in $J/org.jacoco.core.jar $J/org.jacoco.report.jar $J/asm.jar; do
    [ -f "$f" ] || { echo "gen.sh: $f missing (apt-get install -y libjacoco-java)" >&2; exit 2; }
done
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/classes" "$WORK/tool"
javac -nowarn --release 11 -g -d "$WORK/classes" $(find "$HERE/src" -name '*.java')
javac -nowarn --release 11 -g:none -d "$WORK/classes" "$HERE/nodebug/Hidden.java"
javac -nowarn -cp "$CP" -d "$WORK/tool" "$HERE/JacocoRun.java"
java -cp "$CP:$WORK/tool" JacocoRun "$WORK/classes" "$HERE/src" "$WORK/out"
mkdir -p "$OUT"
cp "$WORK/out/jacoco.xml" "$OUT/jacoco.xml"
# The Total row of index.html: instructions (missed of total, %), branches, ... as JaCoCo shows them.
python3 - "$WORK/out/html/index.html" > "$OUT/html-total.txt" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
foot = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S).group(1)
cells = lambda s: [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", s, re.S)]
print("\t".join(cells(head)))
print("\t".join(cells(foot)))
PY
