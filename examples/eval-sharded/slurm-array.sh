#!/bin/bash
# ImageNet validation of SENet-154 in 8 slices as a Slurm job array: task k (1..8) evaluates
# slice k of 8; a dependent job merges the parts into the report of a single run.
#
#   mkdir -p logs parts    # Slurm opens --output before the script runs and does not create its folder
#   jid=$(sbatch --parsable slurm-array.sh)
#   sbatch --dependency=afterok:$jid --wrap 'npx senet eval --merge parts/part-*.json --save-predictions predictions.tsv > report.txt'
#
#SBATCH --job-name=senet-eval
#SBATCH --array=1-8
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --output=logs/eval-%a.log
set -euo pipefail
mkdir -p parts
npx senet eval senet-154.onnx \
  --images ILSVRC2012_img_val --labels val.txt \
  --batch 8 --threads "${SLURM_CPUS_PER_TASK}" --quiet \
  --shard "${SLURM_ARRAY_TASK_ID}/8" --save-part "parts/part-${SLURM_ARRAY_TASK_ID}.json"
