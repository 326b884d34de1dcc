#!/usr/bin/env bash
# Makes the fixtures of test/upgrade from the real Caffe (the oracle, /opt/caffe-bullseye) and
# ../shared. Needs the oracle and node; the tests themselves need neither.
#
#   tools/make-upgrade-fixtures.sh
#
# Under test/fixtures/upgrade/ (see SOURCE.md there):
#   *.prototxt                  hand-written V0/V1/V2 test nets (inputs; not touched here)
#   expected/NAME.prototxt      upgrade_net_proto_text's output for each input it accepts
#   oracle.json                 per input: Caffe's exit status and its E/F log lines
#   everpeace/NAME.prototxt     Caffe's upgrade of the cifar10 V1 prototxts (BSD-2, LICENSE copied)
#   everpeace.json              sha256/bytes of those inputs, and of upgrade_net_proto_binary's
#                               output for the two V1 caffemodels (too big to commit)
#   reference.json              sha256/bytes of every other ../shared/reference prototxt and of
#                               Caffe's upgrade of it (inputs without a licence: hashes only)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=$(cd "$ROOT/../shared" 2>/dev/null && pwd) || { echo "../shared is missing" >&2; exit 1; }
PREFIX=/opt/caffe-bullseye
TXT="$PREFIX/usr/bin/upgrade_net_proto_text"
BIN="$PREFIX/usr/bin/upgrade_net_proto_binary"
OUT="$ROOT/test/fixtures/upgrade"
EVER="$SHARED/reference/models/cifar10-quick-full-everpeace"
[ -x "$TXT" ] || { echo "the Caffe oracle is not installed in $PREFIX" >&2; exit 1; }
# shellcheck disable=SC1091
source "$PREFIX/env.sh"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# A JSON line {exit, log} for one run: exit status (128+N for signal N) and the E/F log lines
# without glog's time/pid prefix and the input's folder (file:line kept: it names the check in
# upgrade_proto.cpp).
run_json() { # tool in out
  local rc=0
  "$1" "$2" "$3" >"$WORK/log" 2>&1 || rc=$?
  node -e '
    const fs = require("fs");
    const lines = fs.readFileSync(process.argv[1], "utf8").split("\n")
      .filter((l) => /^[EF]\d{4} /.test(l))
      .map((l) => l[0] + " " + l.replace(/^[EF]\d{4} [\d:.]+ +\d+ /, "").split(process.argv[3]).join(""));
    process.stdout.write(JSON.stringify({ exit: Number(process.argv[2]), log: lines }));
  ' "$WORK/log" "$rc" "$(dirname "$2")/"
}

hash_json() { # file
  node -e '
    const b = require("fs").readFileSync(process.argv[1]);
    process.stdout.write(JSON.stringify({ sha256: require("crypto").createHash("sha256").update(b).digest("hex"), bytes: b.length }));
  ' "$1"
}

# --- 1. our own test nets
rm -rf "$OUT/expected"
mkdir -p "$OUT/expected"
{
  echo "["
  first=1
  for f in "$OUT"/*.prototxt; do
    name=$(basename "$f")
    rm -f "$WORK/out"
    res=$(run_json "$TXT" "$f" "$WORK/out")
    if [ -f "$WORK/out" ]; then cp "$WORK/out" "$OUT/expected/$name"; fi
    [ $first = 1 ] || echo ","
    first=0
    printf '  {"file":"%s","caffe":%s,"output":%s}' "$name" "$res" "$([ -f "$WORK/out" ] && echo true || echo false)"
  done
  echo
  echo "]"
} >"$OUT/oracle.json"

# --- 2. everpeace's cifar10 nets (BSD 2-Clause: outputs may be copied with the licence)
rm -rf "$OUT/everpeace"
mkdir -p "$OUT/everpeace"
cp "$EVER/LICENSE" "$OUT/everpeace/LICENSE"
{
  echo "{"
  echo '  "prototxt": ['
  first=1
  for f in "$EVER"/*.prototxt; do
    name=$(basename "$f")
    res=$(run_json "$TXT" "$f" "$OUT/everpeace/$name")
    [ $first = 1 ] || echo ","
    first=0
    printf '    {"file":"%s","input":%s,"caffe":%s}' "$name" "$(hash_json "$f")" "$res"
  done
  echo
  echo "  ],"
  echo '  "caffemodel": ['
  first=1
  for f in "$EVER"/*.caffemodel; do
    name=$(basename "$f")
    res=$(run_json "$BIN" "$f" "$WORK/up.caffemodel")
    [ $first = 1 ] || echo ","
    first=0
    printf '    {"file":"%s","input":%s,"caffe":%s,"output":%s}' "$name" "$(hash_json "$f")" "$res" "$(hash_json "$WORK/up.caffemodel")"
  done
  echo
  echo "  ]"
  echo "}"
} >"$OUT/everpeace.json"

# --- 3. every other reference prototxt: hashes only
{
  echo "["
  first=1
  while IFS= read -r f; do
    rel=${f#"$SHARED/"}
    rm -f "$WORK/out"
    res=$(run_json "$TXT" "$f" "$WORK/out")
    [ -f "$WORK/out" ] || { echo "Caffe wrote nothing for $rel" >&2; exit 1; }
    [ $first = 1 ] || echo ","
    first=0
    printf '  {"file":"%s","input":%s,"caffe":%s,"output":%s}' "$rel" "$(hash_json "$f")" "$res" "$(hash_json "$WORK/out")"
  done < <(find "$SHARED/reference" -name '*.prototxt' ! -path "$EVER/*" | LC_ALL=C sort)
  echo
  echo "]"
} >"$OUT/reference.json"

echo "fixtures written to $OUT"
