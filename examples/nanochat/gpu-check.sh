#!/usr/bin/env bash
# Hardware check for a CUDA machine, with or without internet: runs the official profile (the full-size model,
# 2048 context, 8192 vocabulary) for a short time budget and prints the summary, tokens/s and MFU.
#
#   ./gpu-check.sh                     # 60 s of counted training
#   TIME_BUDGET=120 ./gpu-check.sh     # any budget; the override exists for this check only
#   PYTHON=.venv/bin/python ./gpu-check.sh
#
# Data: when the official cache already holds a prepared tokenizer (from `prepare.py`, or copied there from
# another machine: <cache>/official/{data,tokenizer}), it is used. Otherwise a synthetic corpus is generated and a
# tokenizer trained on it, in a separate cache root, so the real cache is never mixed with generated data.
# val_bpb on synthetic data is not comparable with published figures; tokens/s and MFU are.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

python="${PYTHON:-python3}"
budget="${TIME_BUDGET:-60}"
root="${AUTORESEARCH_CACHE_DIR:-$HOME/.cache/autoresearch-nanochat}"

export AUTORESEARCH_PROFILE=official
export AUTORESEARCH_TIME_BUDGET="$budget"
if [ -f "$root/official/tokenizer/tokenizer.json" ]; then
  export AUTORESEARCH_CACHE_DIR="$root"
  echo "gpu-check: using prepared data in $root/official"
else
  export AUTORESEARCH_CACHE_DIR="${root}-synthetic"
  echo "gpu-check: no prepared data in $root/official; generating a synthetic corpus in $AUTORESEARCH_CACHE_DIR"
  "$python" prepare.py --synthetic --num-shards "${SYNTHETIC_SHARDS:-2}"
fi

"$python" - <<'PY'
import torch
print(f"gpu-check: torch {torch.__version__}, cuda {torch.version.cuda}, "
      f"device {torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'}")
PY

log="$(mktemp -t nanochat-gpu-check.XXXXXX.log)"
echo "gpu-check: training for ${budget}s of counted time; full log in $log"
status=0
"$python" train.py >"$log" 2>&1 || status=$?
grep -E '^(profile|vocab size|parameters|estimated FLOPs|time budget)' "$log" || true
tr '\r' '\n' <"$log" | grep -E '^step ' | tail -n 3 || true
if [ "$status" -ne 0 ] || ! grep -q '^val_bpb:' "$log"; then
  echo "gpu-check: train.py failed (exit $status); last lines:"
  tr '\r' '\n' <"$log" | tail -n 40
  exit 1
fi
sed -n '/^---$/,$p' "$log"
awk '
  /^training_seconds:/ { seconds = $2 }
  /^total_tokens_M:/   { tokens = $2 * 1e6 }
  /^num_steps:/        { steps = $2 }
  /^mfu_percent:/      { mfu = $2 }
  END {
    per_step = tokens / steps
    printf "gpu-check: %.0f tokens/s over %d counted steps (%.0f tokens per step), MFU %.2f%% of 989.5 TFLOPS\n",
      (steps - 11) * per_step / seconds, steps - 11, per_step, mfu
  }' "$log"
