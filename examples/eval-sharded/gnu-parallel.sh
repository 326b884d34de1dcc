#!/bin/sh
# ImageNet validation of SENet-154 in 8 slices with GNU parallel, over the machines in
# ~/machines (one `user@host` per line; ':' is this machine), each with senet-caffe installed and
# the same files at the same paths (a shared or copied folder). {} is the slice number 1..8.
set -eu
mkdir -p parts
seq 1 8 | parallel --sshloginfile ~/machines --workdir "$PWD" --jobs 1 \
  npx senet eval senet-154.onnx --images ILSVRC2012_img_val --labels val.txt \
    --batch 8 --threads 2 --quiet --shard {}/8 --save-part parts/part-{}.json
# Without a shared folder, add --return parts/part-{}.json to bring each part back.
npx senet eval --merge parts/part-*.json --save-predictions predictions.tsv
