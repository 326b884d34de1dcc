#!/usr/bin/env bash
# Makes test/fixtures/layers/ from the real Caffe (the oracle, /opt/caffe-bullseye) and ../shared.
# Needs the oracle and python3; the tests need neither.
#
#   tools/make-layer-shape-fixtures.sh
#
# For each official SENet deploy prototxt: copies it (Apache-2.0) to senet-official/, builds it
# in Caffe (TEST phase) with random weights (`caffe-oracle init --seed 1`), runs one forward pass
# of a zero input and records every net blob's shape (Caffe's blobs.json, split blobs included)
# and every layer's stored blob shapes (read from the caffemodel Caffe wrote) in caffe-shapes.json.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=$(cd "$ROOT/../shared" 2>/dev/null && pwd) || { echo "../shared is missing" >&2; exit 1; }
SRC="$SHARED/reference/senet-official"
ORACLE=/opt/caffe-bullseye/bin/caffe-oracle
OUT="$ROOT/test/fixtures/layers"
[ -x "$ORACLE" ] || { echo "the Caffe oracle is not installed (see ../shared/oracle/README.md)" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT/senet-official"
cp "$SRC/LICENSE" "$OUT/senet-official/LICENSE"
NETS="SE-ResNet-50 SE-ResNeXt-50 SE-BN-Inception SENet-154"
head -c $((3 * 224 * 224 * 4)) /dev/zero > "$WORK/zero.f32"
for n in $NETS; do
  cp "$SRC/$n.prototxt" "$OUT/senet-official/$n.prototxt"
  "$ORACLE" init "$SRC/$n.prototxt" "$WORK/$n.caffemodel" --seed 1 > "$WORK/$n.log" 2>&1
  "$ORACLE" forward "$SRC/$n.prototxt" "$WORK/$n.caffemodel" "$WORK/zero.f32" "$WORK/out-$n" --runs 1 >> "$WORK/$n.log" 2>&1
done

python3 - "$WORK" "$OUT/caffe-shapes.json" $NETS <<'PY'
# Reads the caffemodels with a minimal protobuf wire walker (independent of the project's reader):
# NetParameter.layer = 100; LayerParameter.name = 1, type = 2, blobs = 7; BlobProto.shape = 7,
# num/channels/height/width = 1..4 (legacy); BlobShape.dim = 1 (packed int64).
import json, sys

def varint(b, i):
    r = s = 0
    while True:
        c = b[i]; i += 1
        r |= (c & 0x7f) << s; s += 7
        if c < 0x80:
            return r, i

def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 1:
            v = b[i:i + 8]; i += 8
        elif wt == 5:
            v = b[i:i + 4]; i += 4
        elif wt == 2:
            n, i = varint(b, i); v = b[i:i + n]; i += n
        else:
            raise ValueError('wire type %d' % wt)
        yield num, wt, v

def blob_shape(b):
    shape, legacy = None, {}
    for num, wt, v in fields(b):
        if num == 7:
            dims = []
            for n2, w2, v2 in fields(v):
                if n2 == 1 and w2 == 2:
                    j = 0
                    while j < len(v2):
                        d, j = varint(v2, j); dims.append(d)
                elif n2 == 1:
                    dims.append(v2)
            shape = dims
        elif num in (1, 2, 3, 4) and wt == 0:
            legacy[num] = v
    return shape if shape is not None else [legacy.get(k, 1) for k in (1, 2, 3, 4)]

work, out, nets = sys.argv[1], sys.argv[2], sys.argv[3:]
result = {}
for n in nets:
    data = open('%s/%s.caffemodel' % (work, n), 'rb').read()
    layers = []
    for num, wt, v in fields(data):
        if num != 100:
            continue
        name, typ, blobs = '', '', []
        for n2, w2, v2 in fields(v):
            if n2 == 1: name = v2.decode()
            elif n2 == 2: typ = v2.decode()
            elif n2 == 7: blobs.append(blob_shape(v2))
        if blobs:
            layers.append({'name': name, 'type': typ, 'blobs': blobs})
    tops = [{'name': e['name'], 'shape': e['shape']} for e in json.load(open('%s/out-%s/blobs.json' % (work, n)))]
    result[n] = {'blobs': tops, 'layers': layers}
with open(out + '.tmp', 'w') as f:
    f.write('{\n')
    for k, n in enumerate(nets):
        f.write('  %s: {\n    "blobs": [\n' % json.dumps(n))
        f.write(',\n'.join('      ' + json.dumps(b, separators=(',', ':')) for b in result[n]['blobs']))
        f.write('\n    ],\n    "layers": [\n')
        f.write(',\n'.join('      ' + json.dumps(l, separators=(',', ':')) for l in result[n]['layers']))
        f.write('\n    ]\n  }%s\n' % (',' if k + 1 < len(nets) else ''))
    f.write('}\n')
import os; os.replace(out + '.tmp', out)
PY
echo "wrote $OUT/caffe-shapes.json"
