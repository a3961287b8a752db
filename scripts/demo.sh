#!/usr/bin/env bash
# The main job: set up, build, compile examples/char_lstm.mlir (a 2-layer
# character LSTM) and train it for a few minutes on the fortune cookie texts
# of Debian's `fortunes` package (2.5 MB of real English text), then print
# samples. STEPS=N changes the length of the run (default 2000 steps).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
mkdir -p build/demo
# The corpus: every plain fortune file (the .dat index files and .u8
# symlinks left out), made by this script, not shipped.
CORPUS=build/demo/fortunes.txt
find /usr/share/games/fortunes -maxdepth 1 -type f ! -name '*.*' -print0 |
  sort -z | xargs -0 cat > "$CORPUS"
build/bin/nngc compile examples/char_lstm.mlir -o build/demo/char_lstm
build/demo/char_lstm info
build/demo/char_lstm train --data "$CORPUS" --steps "${STEPS:-2000}" \
  --eval-every 200 --seed 0 --save build/demo/char_lstm.safetensors \
  --log build/demo/metrics.jsonl
seed=1
for prompt in "Q:" "The computer" "Love is"; do
  echo "--- sample (temperature 0.8, seed $seed): $prompt"
  build/demo/char_lstm sample --checkpoint build/demo/char_lstm.safetensors \
    --prompt "$prompt" --tokens 300 --temperature 0.8 --seed $seed
  seed=$((seed + 1))
done
