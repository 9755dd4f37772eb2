#!/usr/bin/env bash
# GMOEA on a GPU: the one prepared check for a session that is lent a GPU machine (issue 3).
#
# 1. times one GMOEA training (200 epochs, N = 100, n_var = 30) in the eager and the fused torch
#    loops on the device (runners/gmoea_training_speed.py; the compiled loop is CPU-only);
# 2. runs the quick start's job, `evogan run --algo gmoea --problem dtlz2`, with the GAN on the
#    device, and the same run on the CPU for comparison (same seed).
# Everything lands in OUT (default results/gmoea_gpu), with nvidia-smi's description of the card.
#
#   bash runners/gmoea_gpu_check.sh [DEVICE]      # DEVICE: cuda (default), cuda:N, or cpu to try it
set -euo pipefail
device=${1:-cuda}
out=${OUT:-results/gmoea_gpu}
repeats=${REPEATS:-3}
mkdir -p "$out"
if command -v nvidia-smi >/dev/null; then nvidia-smi > "$out/nvidia-smi.txt"; fi
python runners/gmoea_training_speed.py --device "$device" --repeats "$repeats" --out "$out/training_speed"
for where in "$device" cpu; do
  evogan run --algo gmoea --problem dtlz2 --device "$where" --quiet --overwrite \
    --out "$out/run-dtlz2-${where//:/}"
done
