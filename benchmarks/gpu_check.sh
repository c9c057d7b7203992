#!/usr/bin/env bash
# The GPU check: on a machine with an NVIDIA GPU, train the shipped recipe on one GPU and, where there are several,
# on all of them through Accelerate; print epoch times and validation accuracy, then check that the exported model
# loads and predicts on the CPU alone. Not a test: CI has no GPU.
#
#   benchmarks/gpu_check.sh DATA_DIR [OUT_DIR]      (DATA_DIR: one folder of photos per class)
#
# PYTHON picks the interpreter (default: python3, which must import torch, fastai, timm and this package).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:?usage: benchmarks/gpu_check.sh DATA_DIR [OUT_DIR]}
OUT=${2:-$(mktemp -d)}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
# The project's settings, with the runs kept out of the checkout.
sed "s|^runs_path = .*|runs_path = $OUT/runs|" settings.ini > "$OUT/settings.ini"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
N=$("$PY" -c 'import torch; print(torch.cuda.device_count())')
"$PY" -c 'import torch, fastai; print("torch", torch.__version__, "fastai", fastai.__version__, "cuda", torch.cuda.is_available())'
summary() {  # run name: precision, seconds per epoch, validation accuracy, epoch log
  "$PY" - "$OUT/runs/$1" <<'PY'
import json, sys, pathlib
run = pathlib.Path(sys.argv[1]); info = json.loads((run/'learner.json').read_text())
print(f"{run.name}: device {info['device']}, {info['processes']} process(es), precision {info['config']['precision']}, "
      f"{info['seconds_per_epoch']} s per epoch, validation accuracy {info['valid']['accuracy']:.4f}")
print((run/'history.csv').read_text())
PY
}
time "$PY" -m cat_classifier.cli --settings "$OUT/settings.ini" train --data "$DATA" --run gpu-1
summary gpu-1
time "$PY" -m cat_classifier.cli --settings "$OUT/settings.ini" train --data "$DATA" --run gpu-1-fp32 --precision fp32 --no-channels-last
summary gpu-1-fp32
if [ "$N" -gt 1 ]; then
  time "$PY" -m accelerate.commands.launch --multi_gpu --num_processes "$N" -m cat_classifier.cli \
    --settings "$OUT/settings.ini" train --data "$DATA" --run "gpu-$N" --lr 3e-3
  summary "gpu-$N"
else
  echo "one GPU: no multi-process run (NCCL needs one GPU per process)"
fi
# The exported model on the CPU alone: no GPU visible, load, predict one photo.
PHOTO=$(find "$DATA" -name '*.jpg' | sort | head -1)
CUDA_VISIBLE_DEVICES= "$PY" - "$OUT/runs/gpu-1/learner.pkl" "$PHOTO" <<'PY'
import sys, torch
from fastai.vision.all import load_learner, PILImage
assert not torch.cuda.is_available()
learn = load_learner(sys.argv[1], cpu=True)
label, _, probs = learn.predict(PILImage.create(sys.argv[2]))
print(f'exported model loads and predicts on the CPU: {sys.argv[2]} -> {label} ({float(probs.max()):.3f})')
PY
