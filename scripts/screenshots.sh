#!/usr/bin/env bash
# Regenerates the README screenshots (docs/images/{canvas,training,checkpoints,projector}.png) with
# `studio gui --screenshot`: the canvas of the demo project, then the training, checkpoint and projector
# panels on a short demo run that `studio train` makes first. No display needed (offscreen Qt).
#
#   scripts/screenshots.sh                 # into docs/images/
#   scripts/screenshots.sh /tmp/shots      # elsewhere
#   RUN=runs/small_cnn-2026... scripts/screenshots.sh   # reuse a finished run instead of training one
set -euo pipefail
cd "$(dirname "$0")/.."
studio=${STUDIO:-.venv/bin/studio}
out=${1:-docs/images}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME="$work/config"  # default theme and layout, whatever this user's settings are
mkdir -p "$out"

run=${RUN:-}
if [ -z "$run" ]; then
  run="$work/demo-run"
  echo "training a short demo run (3 epochs of the small CNN on the demo folder)..."
  "$studio" train small_cnn --data resources/demo/fashion --val-data resources/demo/fashion-val \
    --epochs 3 --seed 0 --run-dir "$run" --quiet
fi

"$studio" gui --demo --screenshot "$out/canvas.png"
echo "wrote $out/canvas.png"
for panel in training checkpoints projector; do
  "$studio" gui --demo --screenshot "$out/$panel.png" --panel "$panel" --run "$run"
  echo "wrote $out/$panel.png"
done
