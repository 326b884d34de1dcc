#!/bin/sh
# Builds every SENet generator's nets in real Caffe (the oracle, /opt/caffe-bullseye) at a reduced
# input size and records the layer names and top shapes Caffe reported in
# test/fixtures/caffe-built/<id>-<flavor>.json.gz. Needs `npm run build` first.
#  - deploy: `senet generate ID --flavor F --input-size 64`, built in the TEST phase by
#    `caffe-oracle init` (which also fills weights; the caffemodel is discarded).
#  - train: `senet generate ID --flavor F --phase train` with ImageData layers over four tiny PNGs
#    (resized to 72, cropped to 64), built by the stock `caffe train` with a solver: bvlc runs one
#    real iteration (forward, backward, update) and the tests; official runs max_iter 0 (the
#    oracle's Axpy is forward-only), i.e. the TRAIN forward after Solve and one TEST pass.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/test/fixtures/caffe-built"
W=${TMPDIR:-/tmp}/senet-caffe-built
ORACLE=/opt/caffe-bullseye/bin/caffe-oracle
CAFFE=/opt/caffe-bullseye/bin/caffe
IDS=${IDS:-"se-resnet-50 se-resnet-101 se-resnet-152 se-resnext-50 se-resnext-101 se-bn-inception senet-154"}
SENET="node $ROOT/bin/senet.js"
mkdir -p "$W/img" "$OUT"

# Four 80x80 images in two classes, for the ImageData layers.
node -e '
const sharp = require(process.argv[1] + "/node_modules/sharp");
const dir = process.argv[2];
(async () => {
  for (let i = 0; i < 4; i++) {
    const px = Buffer.alloc(80 * 80 * 3);
    for (let j = 0; j < px.length; j++) px[j] = (j * (i + 3) * 37) & 255;
    await sharp(px, { raw: { width: 80, height: 80, channels: 3 } }).png().toFile(`${dir}/img${i}.png`);
  }
})();' "$ROOT" "$W/img"
printf '%s\n' "$W/img/img0.png 0" "$W/img/img1.png 1" "$W/img/img2.png 0" "$W/img/img3.png 1" > "$W/list.txt"

for id in $IDS; do
  for flavor in official bvlc; do
    base="$W/$id-$flavor"
    $SENET generate "$id" --flavor "$flavor" --input-size 64 -o "$base-deploy.prototxt"
    CAFFE_ORACLE_VERBOSE=1 "$ORACLE" init "$base-deploy.prototxt" "$base.caffemodel" --seed 1 2> "$base-deploy.log" >/dev/null
    rm -f "$base.caffemodel"

    $SENET generate "$id" --flavor "$flavor" --phase train --backend imagedata --source "$W/list.txt" \
      --test-source "$W/list.txt" --new-height 72 --new-width 72 --crop 64 --batch 2 --test-batch 2 \
      --mean-value 104,117,123 -o "$base-train.prototxt"
    iters=0; [ "$flavor" = bvlc ] && iters=1
    cat > "$base-solver.prototxt" <<SOLVER
net: "$base-train.prototxt"
base_lr: 0.001
lr_policy: "fixed"
max_iter: $iters
test_iter: 1
test_interval: 1
display: 1
snapshot_after_train: false
solver_mode: CPU
SOLVER
    GLOG_logtostderr=1 "$CAFFE" train -solver "$base-solver.prototxt" 2> "$base-train.log"
    grep -q "Optimization Done" "$base-train.log"

    node "$ROOT/tools/caffe-log-to-fixture.js" "$base-deploy.log" id="$id" flavor="$flavor" phase=deploy inputSize=64 > "$base-deploy.json"
    node "$ROOT/tools/caffe-log-to-fixture.js" "$base-train.log" id="$id" flavor="$flavor" phase=train inputSize=64 > "$base-train.json"
    # One file per id and flavour: the deploy net, and the TRAIN net of the train/test file.
    node -e '
const fs = require("fs");
const [d, t] = [process.argv[1], process.argv[2]].map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
const train = t.nets.find((n) => n.phase === "TRAIN");
const nets = [{ phase: "deploy", layers: d.nets[0].layers }, { phase: "train", layers: train.layers }];
const head = { id: d.id, flavor: d.flavor, inputSize: Number(d.inputSize), trainBatch: 2,
  made: "tools/make-caffe-built-fixtures.sh (real BVLC Caffe 1.0, bullseye build)" };
const body = nets.map((n) => `{"phase":"${n.phase}","layers":[\n` + n.layers.map((l) => JSON.stringify(l)).join(",\n") + "\n]}").join(",\n");
fs.writeFileSync(process.argv[3], JSON.stringify(head).slice(0, -1) + `,"nets":[\n${body}\n]}\n`);' \
      "$base-deploy.json" "$base-train.json" "$OUT/$id-$flavor.json"
    # gzip: the layer lists of the 14 nets are 1.6 MB of text, 0.4 MB compressed.
    gzip -9 -n -f "$OUT/$id-$flavor.json"
    echo "$id $flavor: ok ($(grep -c 'Setting up' "$base-deploy.log") deploy layers, $(grep -c 'Setting up' "$base-train.log") train+test layers)"
  done
done
