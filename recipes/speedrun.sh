#!/usr/bin/env bash
# The whole pipeline on a CPU, no downloads: world -> crawl -> data pipeline -> tokenizer -> base model.
#   bash recipes/speedrun.sh            # runs/tiny-world/...
#   RUN=other bash recipes/speedrun.sh  # another run dir
# Each stage writes runs/$RUN/<stage>/ and a .done marker: a finished stage is skipped on a rerun, an
# interrupted pretraining resumes from its last checkpoint, a failed stage stops the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
RUN=${RUN:-tiny-world}
OUT=runs/$RUN
SEED=${SEED:-0}
mkdir -p "$OUT"
align() { python -m align.cli "$@"; }  # works even where pip put the `align` script off PATH

stage() {  # stage NAME COMMAND...: run COMMAND unless runs/$RUN/NAME is done
  local name=$1; shift
  if [ -f "$OUT/$name/.done" ]; then
    echo "== $name: done already, skipped"
    return
  fi
  echo "== $name: running"
  local start=$SECONDS
  if ! "$@"; then
    echo "== $name: FAILED; finished stages are kept in $OUT, rerun to continue" >&2
    exit 1
  fi
  mkdir -p "$OUT/$name" && touch "$OUT/$name/.done"
  echo "== $name: done in $((SECONDS - start))s"
}

stage crawl align world crawl --out "$OUT/crawl" --seed "$SEED"
stage data align data --crawl "$OUT/crawl" --out "$OUT/data"
stage tokenizer align tokenizer train --data "$OUT/data/data" --out "$OUT/tokenizer" --vocab-size 4096
stage base python recipes/pretrain.py --config recipes/tiny-world/pretrain.yaml \
  --dataset_name "$OUT/data/data" --tokenizer_name_or_path "$OUT/tokenizer" --output_dir "$OUT/base" \
  --resume_from_checkpoint last

echo "== samples from the base model:"
align generate --model "$OUT/base" --max-new-tokens 48 --seed "$SEED" --num-samples 2 "The"
