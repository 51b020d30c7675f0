#!/usr/bin/env bash
# The whole pipeline on a CPU, no downloads: world -> crawl -> data pipeline -> tokenizer -> base model -> SFT
# -> preference data -> reward model -> GRPO -> PPO -> evaluation -> report card.
#   bash recipes/speedrun.sh                 # runs/tiny-world/..., about 20 min on 2 CPU cores
#   SCALE=smoke bash recipes/speedrun.sh     # every stage for a few steps (tests; ~3 min)
#   RUN=other SEED=1 bash recipes/speedrun.sh   # or OUT=/some/dir
# Each stage writes runs/$RUN/<stage>/ and a .done marker: a finished stage is skipped on a rerun, an
# interrupted training stage resumes from its last checkpoint, a failed stage stops the run (earlier stages stay).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
RUN=${RUN:-tiny-world}
SCALE=${SCALE:-cpu}
OUT=${OUT:-runs/$RUN}
SEED=${SEED:-0}
mkdir -p "$OUT/configs"
align() { python -m align.cli "$@"; }  # works even where pip put the `align` script off PATH

case $SCALE in
  cpu) CRAWL=(); PRETRAIN=(); SFT=(); PREFS=(); REWARD=(); GRPO=(); PPO=(); EVAL_N=100; EVAL_TASKS=() ;;
  smoke)
    CRAWL=(--pages 600)
    PRETRAIN=(--max_steps 30 --eval_steps 15 --save_steps 15)
    SFT=(--mixture recipes/tiny-world/mixtures/smoke.yaml --max_steps 8 --eval_strategy no --save_steps 8)
    PREFS=(--prompts 32 --heldout-prompts 8 --samples 4 --max-new-tokens 24 --pairs all --min-margin 0.01)
    REWARD=(--max_steps 4 --eval_steps 2)
    GRPO=(--max_steps 2 --train_problems 16 --heldout_problems 8 --heldout_every 1 --max_completion_length 24
          --save_steps 2)
    PPO=(--max_steps 2 --rollout_batch_size 8 --per_device_train_batch_size 4 --heldout_prompts 4 --eval_every 1
         --response_length 16 --save_steps 2)
    EVAL_N=4; EVAL_TASKS=(--tasks bpb,jagged) ;;  # the chat tasks run in RL/RLHF's columns
  *) echo "SCALE must be cpu or smoke, got '$SCALE'" >&2; exit 2 ;;
esac

config() {  # config NAME: the tiny-world recipe with its paths moved into this run's directory
  sed "s#runs/tiny-world/#$OUT/#g" "recipes/tiny-world/$1.yaml" > "$OUT/configs/$1.yaml"
  echo "$OUT/configs/$1.yaml"
}

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
  printf '%s\t%s\n' "$name" "$((SECONDS - start))" >> "$OUT/timings.tsv"
  echo "== $name: done in $((SECONDS - start))s"
}

stage crawl align world crawl --out "$OUT/crawl" --seed "$SEED" "${CRAWL[@]}"
stage data align data --crawl "$OUT/crawl" --out "$OUT/data" --workers "$(nproc)"  # one WARC file per task
stage tokenizer align tokenizer train --data "$OUT/data/data" --out "$OUT/tokenizer" --vocab-size 4096
stage base python recipes/pretrain.py --config "$(config pretrain)" --resume_from_checkpoint last "${PRETRAIN[@]}"
stage sft python recipes/sft.py --config "$(config sft)" --resume_from_checkpoint last "${SFT[@]}"
stage preferences align preferences --model "$OUT/sft" --world "$OUT/crawl" --out "$OUT/preferences" \
  --seed "$SEED" --overwrite "${PREFS[@]}"
stage reward python recipes/reward.py --config "$(config reward)" "${REWARD[@]}"
stage grpo python recipes/grpo.py --config "$(config grpo)" --resume_from_checkpoint last "${GRPO[@]}"
stage rlhf python recipes/ppo.py --config "$(config ppo)" --resume_from_checkpoint last "${PPO[@]}"

evaluate() {  # evaluate NAME MODEL KIND [extra align eval args]
  local name=$1 model=$2 kind=$3; shift 3
  align eval --model "$model" --kind "$kind" --name "$name" --world "$OUT/crawl" --data "$OUT/data/data" \
    --n "$EVAL_N" --seed "$SEED" --out "$OUT/eval/$name.json" "$@"
}
run_evals() {
  evaluate BASE "$OUT/base" base "${EVAL_TASKS[@]}"
  evaluate SFT "$OUT/sft" chat "${EVAL_TASKS[@]}"
  evaluate RL "$OUT/grpo" chat --tasks math
  evaluate RLHF "$OUT/rlhf" chat --tasks win_rate,reward_model,hallucination --against "$OUT/sft" \
    --reward-model "$OUT/reward" --preferences "$OUT/preferences"
}
stage eval run_evals
align report --run "$OUT" > /dev/null
echo "== report card: $OUT/report/report.md"
