#!/usr/bin/env bash
# The main job: set up, build, compile examples/mlp_digits.mlir and train it
# on sklearn's handwritten digits (1797 images), holding out 20 %.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
DATA=/usr/lib/python3/dist-packages/sklearn/datasets/data
mkdir -p build/demo
build/bin/nngc compile examples/mlp_digits.mlir -o build/demo/mlp_digits
build/demo/mlp_digits info
build/demo/mlp_digits train --data "$DATA/digits.csv.gz" --no-header \
  --label-column -1 --val-split 0.2 --standardize --epochs 20 --seed 0 \
  --save build/demo/mlp_digits.safetensors --log build/demo/metrics.jsonl
