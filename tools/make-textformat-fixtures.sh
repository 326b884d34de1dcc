#!/usr/bin/env bash
# Makes the fixtures of test/textformat from the real Caffe (the oracle, /opt/caffe-bullseye) and
# ../shared. Needs the oracle, g++/gcc and node; the tests themselves need neither.
#
#   tools/make-textformat-fixtures.sh
#
# Writes under test/fixtures/textformat/:
#   caffe-printed/*.prototxt  Caffe's output (upgrade_net_proto_text) for the files whose licence
#                             allows copying (official SENet, Apache-2.0; BVLC LeNet, BSD-2/MIT)
#   reference-prints.json     for every reference prototxt: sha256 and byte length of
#                             (a) Caffe's upgrade_net_proto_text output and (b) protobuf 3.12's
#                             TextFormat print of the same file parsed without any upgrade
#   float-format.json         printf %.6g/%.9g/%.15g/%.17g (gcc, glibc) and C++ protobuf's
#                             SimpleFtoa/SimpleDtoa for a table of float32 and double values
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=$(cd "$ROOT/../shared" 2>/dev/null && pwd) || { echo "../shared is missing" >&2; exit 1; }
REF="$SHARED/reference"
PREFIX=/opt/caffe-bullseye
OUT="$ROOT/test/fixtures/textformat"
[ -x "$PREFIX/usr/bin/upgrade_net_proto_text" ] || { echo "the Caffe oracle is not installed in $PREFIX" >&2; exit 1; }
# shellcheck disable=SC1091
source "$PREFIX/env.sh"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# --- helper 1: protobuf 3.12 text print without Caffe's upgrades, plus SimpleFtoa/SimpleDtoa ---
cat > "$WORK/pbtext.cc" <<'EOF'
// Debian's caffe.pb.h spells two protobuf >= 3.13 names; alias them for the 3.12 headers
// (names only, no layout effect), as ../shared/oracle/oracle.cpp does.
#include <google/protobuf/stubs/common.h>
#include <google/protobuf/generated_message_table_driven.h>
#if GOOGLE_PROTOBUF_VERSION < 3013000
namespace google { namespace protobuf {
using ConstStringParam = const std::string&;
namespace internal { typedef AuxillaryParseTableField AuxiliaryParseTableField; }
} }
#endif
#include "caffe/proto/caffe.pb.h"
#include <google/protobuf/text_format.h>
#include <google/protobuf/stubs/strutil.h>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
int main(int argc, char** argv) {
  using namespace google::protobuf;
  if (argc == 2 && !strcmp(argv[1], "ftoa")) {
    // stdin lines "f HEXBITS" or "d HEXBITS"
    char kind; std::string hex;
    while (std::cin >> kind >> hex) {
      unsigned long long bits = std::stoull(hex, nullptr, 16);
      if (kind == 'f') { unsigned b = (unsigned)bits; float v; memcpy(&v, &b, 4); std::cout << SimpleFtoa(v) << "\n"; }
      else { double v; memcpy(&v, &bits, 8); std::cout << SimpleDtoa(v) << "\n"; }
    }
    return 0;
  }
  if (argc != 2) { std::cerr << "usage: pbtext FILE.prototxt | pbtext ftoa\n"; return 2; }
  caffe::NetParameter net;
  std::ifstream in(argv[1], std::ios::binary); std::stringstream ss; ss << in.rdbuf();
  if (!TextFormat::ParseFromString(ss.str(), &net)) return 1;
  std::string out; TextFormat::PrintToString(net, &out); std::cout << out; return 0;
}
EOF
LIBDIRS="$PREFIX/usr/lib/x86_64-linux-gnu:$PREFIX/usr/lib:/usr/lib/x86_64-linux-gnu/openblas-pthread"
g++ -O1 -std=c++17 -DCPU_ONLY -Wno-deprecated-declarations -I"$PREFIX/usr/include" "$WORK/pbtext.cc" -o "$WORK/pbtext" \
  -L"$PREFIX/usr/lib/x86_64-linux-gnu" -lcaffe -lglog -lprotobuf -lpthread \
  -Wl,--disable-new-dtags -Wl,-rpath,"$LIBDIRS" -Wl,-rpath-link,"$LIBDIRS"

# --- helper 2: glibc printf %g --------------------------------------------------------------
cat > "$WORK/gfmt.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
int main(void) {
  char kind; char hex[32];
  while (scanf(" %c %31s", &kind, hex) == 2) {
    unsigned long long bits = strtoull(hex, NULL, 16);
    if (kind == 'f') { unsigned b = (unsigned)bits; float v; memcpy(&v, &b, 4);
      printf("%.6g\t%.9g\n", (double)v, (double)v); }
    else { double v; memcpy(&v, &bits, 8); printf("%.15g\t%.17g\n", v, v); }
  }
  return 0;
}
EOF
gcc -O1 "$WORK/gfmt.c" -o "$WORK/gfmt"

mkdir -p "$OUT/caffe-printed"

# --- reference prototxts ----------------------------------------------------------------------
FILES=(
  senet-official/SE-BN-Inception.prototxt senet-official/SE-ResNeXt-50.prototxt
  senet-official/SE-ResNet-50.prototxt senet-official/SENet-154.prototxt
  models/mnist-lenet-v2-ethereon/lenet.prototxt
)
for f in "$REF"/caffe-toolkit/*.prototxt "$REF"/models/cifar10-resnet20-ljf/*.prototxt \
         "$REF"/models/cifar10-mobilenet-grouped-ljf/*.prototxt; do
  FILES+=("${f#"$REF"/}")
done

entries=()
for rel in "${FILES[@]}"; do
  src="$REF/$rel"
  upg="$WORK/upgraded.prototxt"
  plain="$WORK/plain.prototxt"
  "$PREFIX/usr/bin/upgrade_net_proto_text" "$src" "$upg" 2>/dev/null
  "$WORK/pbtext" "$src" > "$plain"
  case "$rel" in
    senet-official/*|models/mnist-lenet-v2-ethereon/*)
      # Licence allows copying: keep Caffe's output itself.
      cp "$upg" "$OUT/caffe-printed/$(basename "$rel")"
      cmp -s "$upg" "$plain" || cp "$plain" "$OUT/caffe-printed/$(basename "$rel" .prototxt).plain.prototxt"
      ;;
  esac
  entries+=("$(printf '{"file":"reference/%s","input":{"sha256":"%s","bytes":%d},"caffe":{"sha256":"%s","bytes":%d},"plain":{"sha256":"%s","bytes":%d}}' \
    "$rel" "$(sha256sum < "$src" | cut -c1-64)" "$(stat -c %s "$src")" \
    "$(sha256sum < "$upg" | cut -c1-64)" "$(stat -c %s "$upg")" \
    "$(sha256sum < "$plain" | cut -c1-64)" "$(stat -c %s "$plain")")")
done
{
  echo '['
  for i in "${!entries[@]}"; do
    sep=','; [ "$i" -eq $((${#entries[@]} - 1)) ] && sep=''
    echo "  ${entries[$i]}$sep"
  done
  echo ']'
} > "$OUT/reference-prints.json"

# --- float table ------------------------------------------------------------------------------
# Inputs: listed values, powers of ten, float32-rounded decimals, ties, subnormals, and
# pseudo-random bit patterns from a fixed seed.
node - "$WORK/inputs.txt" <<'EOF'
const fs = require('fs');
const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1), u64 = new BigUint64Array(f64.buffer);
const lines = new Set();
const addF = (v) => { f32[0] = v; lines.add('f ' + u32[0].toString(16)); };
const addD = (v) => { f64[0] = v; lines.add('d ' + u64[0].toString(16)); };
const addFBits = (b) => { lines.add('f ' + (b >>> 0).toString(16)); };
const both = (v) => { addF(v); addD(v); };
[0, -0, 1, -1, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99, 0.999, 1e-05, 0.0001, 0.001, 0.01, 1e+06, 1e+07,
 123456789, 1234567, 1234565, 1234575, 2.5, 0.125, 100000, 999999, 999999.5, 9999995, 0.00001234,
 3.4028235e+38, 1.17549435e-38, 1.4e-45, 1e-45, 1e-40, 2e-40, 0.00390625, 0.0078125, 104, 117, 123,
 104.0069879317889, 116.66876761696767, 122.6789143406786, 0.017, 1.0000001, 0.33333334, 2 / 3,
 Math.PI, Math.E, 1 / 255, 0.00390625 * 3, 16777216, 16777217, 1e21, 1e22, 5e-324, 2.2250738585072014e-308,
 1.7976931348623157e308, 9007199254740993, 0.1 + 0.2, 1e15, 1e16, 123456789012345680, 1.5e-5,
 Infinity, -Infinity, NaN].forEach(both);
for (let e = -45; e <= 38; e++) { both(Number('1e' + e)); both(Number('5e' + e)); both(Number('2.5e' + e)); }
for (let e = -320; e <= 308; e += 7) addD(Number('1.2345678901234567e' + e));
let s = 0x9e3779b9n;
const rnd = () => { s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn; return Number(s >> 32n); };
for (let i = 0; i < 400; i++) addFBits(rnd());                         // any float32 bits
for (let i = 0; i < 200; i++) addFBits(rnd() & 0x807fffff);            // subnormals
for (let i = 0; i < 400; i++) addF(Number((rnd() / 4294967296 * 10).toFixed(1 + (i % 7)))); // short decimals
for (let i = 0; i < 300; i++) { const hi = rnd(), lo = rnd(); const b = (BigInt(hi) << 32n) | BigInt(lo); u64[0] = b; if (Number.isFinite(f64[0])) addD(f64[0]); }
for (let i = 0; i < 200; i++) addD(Number((rnd() / 4294967296).toFixed(1 + (i % 17))));
fs.writeFileSync(process.argv[2], [...lines].join('\n') + '\n');
EOF
"$WORK/gfmt" < "$WORK/inputs.txt" > "$WORK/printf.txt"
"$WORK/pbtext" ftoa < "$WORK/inputs.txt" > "$WORK/ftoa.txt"
node - "$WORK/inputs.txt" "$WORK/printf.txt" "$WORK/ftoa.txt" "$OUT/float-format.json" <<'EOF'
const fs = require('fs');
const [inp, pf, ft, out] = process.argv.slice(2);
const read = (f) => fs.readFileSync(f, 'utf8').trimEnd().split('\n');
const a = read(inp), b = read(pf), c = read(ft);
if (a.length !== b.length || a.length !== c.length) throw new Error('length mismatch');
const rows = a.map((l, i) => {
  const [kind, bits] = l.split(' ');
  const [short, long] = b[i].split('\t');
  return kind === 'f' ? { kind, bits, g6: short, g9: long, protobuf: c[i] } : { kind, bits, g15: short, g17: long, protobuf: c[i] };
});
fs.writeFileSync(out, '[\n' + rows.map((r) => '  ' + JSON.stringify(r)).join(',\n') + '\n]\n');
EOF
echo "wrote $OUT"
