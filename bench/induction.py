"""Does in-context copying (induction) form in a small from-scratch model? Copy accuracy against step and wall time
for each lever tried, printed as a table (issue #16).

    python bench/induction.py                                   # every lever, 600 steps each, in turn
    python bench/induction.py --levers tiny-world,copy-50 --steps 1200
    python bench/induction.py --run runs/tiny-world             # that run's tokenizer and corpus

The probe is ``align eval --tasks copying`` (``align.tasks.copying.copying_accuracy``): a segment of 8-32 random
tokens, 0-48 other tokens, the segment again; next-token accuracy on the repeat. Copy data for training is built
the same way but from fresh draws (segments of 8-48 tokens, gaps of 0-64, several per block), so the probe's rows
are never trained on. A lever is a change from the speedrun's base recipe (recipes/tiny-world/pretrain.yaml:
Llama 4x256, batch 8x256, AdamW lr 3e-3, wd 0.1, cosine with 5% warmup, bf16 autocast where native); `--levers` picks them.
Each lever's run is a plain PyTorch loop on the same model class (``LlamaForCausalLM`` or ``Lfm2ForCausalLM``), so
only the lever differs. One run at a time uses the machine's cores; `OMP_NUM_THREADS=1` for two side by side.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoTokenizer, Lfm2Config, Lfm2ForCausalLM, LlamaForCausalLM

from align.data.packing import pack_documents
from align.data.text import load_text_dataset
from align.hardware import bf16_supported
from align.modeling import ModelShapeArguments, llama_config
from align.tasks.copying import copying_accuracy

# bf16 autocast only where the CPU has native bf16 matmuls: emulated, it is ~50x slower than fp32
AUTOCAST = torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16_supported())


@dataclass(frozen=True)
class Lever:
    copy_fraction: float = 0.0  # share of each batch's rows that are copy data instead of tiny-world text
    # a curriculum: ((until_step, ids), ...): copy tokens drawn from the first `ids` ids until that step, then the
    # next entry, then the whole vocabulary. Induction forms in ~400 steps on a 64-id alphabet (2x256, batch
    # 32x128, lr 1e-3) and not in 1500 on the whole 3k vocabulary: the easy start gets the circuit, the growth spreads
    # it over the vocabulary
    alphabet_schedule: tuple[tuple[int, int], ...] = ()
    # once past a schedule entry, keep drawing some rows from it: each row's alphabet is one of the entries reached
    # so far, at random. Switching outright from 64 to 256 ids broke a circuit that copied 90% on the 64
    keep_earlier_alphabets: bool = False
    batch: int | None = None  # rows per step, when not --batch
    # copy rows: segment lengths and gaps (inclusive ranges). Segments of up to 48 ids with gaps of up to 64 kept a
    # 2x256 model at 0% where 8-24 / 0-16 formed induction in ~450 steps (bench/induction_control.py)
    segment: tuple[int, int] = (8, 48)
    gap: tuple[int, int] = (0, 64)
    lr: float = 3e-3
    muon: bool = False  # torch.optim.Muon for the 2-D matrices of the blocks, AdamW for the rest
    depth: int = 4
    width: int = 256
    architecture: str = "llama"  # or "lfm2": gated short convolutions + attention layers
    note: str = ""


LEVERS = {
    "tiny-world": Lever(note="the speedrun's base recipe: tiny-world text only"),
    "copy-25": Lever(copy_fraction=0.25, note="25% of rows copy data"),
    "copy-50": Lever(copy_fraction=0.5, note="50% of rows copy data"),
    "copy-100": Lever(copy_fraction=1.0, note="copy data only"),
    "copy-100-lr1e-3": Lever(copy_fraction=1.0, lr=1e-3, note="copy data only, lr 1e-3"),
    "copy-100-curriculum": Lever(copy_fraction=1.0, alphabet_schedule=((200, 64),),
                                 note="copy data only, 64-token alphabet for 200 steps"),
    "copy-100-muon": Lever(copy_fraction=1.0, muon=True, lr=2e-2, note="copy data only, Muon lr 0.02"),
    "copy-100-6x512": Lever(copy_fraction=1.0, depth=6, width=512, lr=1e-3, note="copy data only, 6x512, lr 1e-3"),
    "copy-100-lfm2": Lever(copy_fraction=1.0, architecture="lfm2", note="copy data only, LFM2 4x256"),
    "copy-50-6x512": Lever(copy_fraction=0.5, depth=6, width=512, lr=1e-3, note="50% copy, 6x512, lr 1e-3"),
    "copy-100-2x256": Lever(copy_fraction=1.0, depth=2, lr=1e-3, note="copy data only, 2 layers, lr 1e-3"),
    "copy-100-alphabet512": Lever(copy_fraction=1.0, alphabet_schedule=((10**9, 512),), lr=1e-3, depth=2,
                                  note="copy data only from 512 ids (the probe draws from all), 2x256, lr 1e-3"),
    "copy-100-alphabet64": Lever(copy_fraction=1.0, depth=2, lr=1e-3, batch=16, alphabet_schedule=((10**9, 64),),
                                 note="control: copy only from 64 ids, 2x256, lr 1e-3, batch 16"),
    "copy-100-2x256-grow": Lever(copy_fraction=1.0, depth=2, lr=1e-3, batch=16,
                                 alphabet_schedule=((500, 64), (700, 256), (900, 1024)),
                                 note="copy only, 2x256, lr 1e-3, batch 16, alphabet 64 → 256 → 1024 → all"),
    "copy-100-2x256-short": Lever(copy_fraction=1.0, depth=2, lr=1e-3, batch=16, segment=(8, 24), gap=(0, 16),
                                  note="copy only, 2x256, lr 1e-3, batch 16, segments 8-24, gaps 0-16, all ids"),
    "copy-100-2x256-short-grow": Lever(copy_fraction=1.0, depth=2, lr=1e-3, batch=16, segment=(8, 24), gap=(0, 16),
                                       alphabet_schedule=((700, 64), (900, 256), (1100, 1024)),
                                       note="as copy-100-2x256-short, alphabet 64 → 256 → 1024 → all"),
    "copy-100-2x256-short-mix": Lever(copy_fraction=1.0, depth=2, lr=1e-3, batch=16, segment=(8, 24), gap=(0, 16),
                                      alphabet_schedule=((600, 64), (800, 256), (1000, 1024)),
                                      keep_earlier_alphabets=True,
                                      note="as -short-grow, earlier alphabets kept in the mix (each row picks one)"),
    "copy-100-2x256-short-256": Lever(copy_fraction=1.0, depth=2, lr=1e-3, batch=16, segment=(8, 24), gap=(0, 16),
                                      alphabet_schedule=((10**9, 256),),
                                      note="as copy-100-2x256-short, 256 ids from the start (64 form it by step 600)"),
    "copy-100-2x512-short": Lever(copy_fraction=1.0, depth=2, width=512, lr=1e-3, batch=16, segment=(8, 24),
                                  gap=(0, 16), note="as copy-100-2x256-short, width 512 (8 heads): 3,000 ids in 512 "
                                                    "dims interfere less than in 256"),
}


def copy_block(vocab: list[int], length: int, rng: random.Random, segment: tuple[int, int] = (8, 48),
               gap: tuple[int, int] = (0, 64)) -> list[int]:
    """Segments of ``segment`` distinct tokens, each followed by ``gap`` other tokens and then repeated, until
    ``length``."""
    out: list[int] = []
    while len(out) < length:
        seg_len, gap_len = rng.randint(*segment), rng.randint(*gap)
        tokens = rng.sample(vocab, min(len(vocab), seg_len + gap_len))
        seg, filler = tokens[:seg_len], tokens[seg_len:]
        out += seg + filler + seg
    return out[:length]


def build_model(lever: Lever, tokenizer):
    shape = ModelShapeArguments(depth=lever.depth, width=lever.width, heads=lever.width // 64)
    config = llama_config(shape, tokenizer)
    if lever.architecture == "llama":
        return LlamaForCausalLM(config)
    # LFM2: every other layer attention, the rest gated short convolutions (the shape of LFM2-350M, scaled down)
    lfm2 = Lfm2Config(
        vocab_size=config.vocab_size, hidden_size=config.hidden_size, intermediate_size=config.intermediate_size,
        num_hidden_layers=lever.depth, num_attention_heads=config.num_attention_heads,
        num_key_value_heads=config.num_key_value_heads, max_position_embeddings=config.max_position_embeddings,
        layer_types=["conv" if i % 2 == 0 else "full_attention" for i in range(lever.depth)],
        block_auto_adjust_ff_dim=False, tie_word_embeddings=True, bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id, pad_token_id=config.pad_token_id,
    )
    return Lfm2ForCausalLM(lfm2)


def optimizers(model, lever: Lever, weight_decay: float = 0.1) -> list[torch.optim.Optimizer]:
    matrices = [p for n, p in model.named_parameters() if p.ndim == 2 and "embed" not in n and "lm_head" not in n]
    ids = {id(p) for p in matrices}
    rest = [p for p in model.parameters() if id(p) not in ids]
    if not lever.muon:
        return [torch.optim.AdamW(model.parameters(), lr=lever.lr, betas=(0.9, 0.95), weight_decay=weight_decay)]
    return [torch.optim.Muon(matrices, lr=lever.lr, weight_decay=weight_decay, adjust_lr_fn="match_rms_adamw"),
            torch.optim.AdamW(rest, lr=3e-3, betas=(0.9, 0.95), weight_decay=weight_decay)]


def lr_factor(step: int, steps: int, warmup: float = 0.05) -> float:
    warm = max(1, int(steps * warmup))
    if step < warm:
        return (step + 1) / warm
    return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))


@torch.no_grad()
def heldout_loss(model, blocks: torch.Tensor) -> float:
    model.eval()
    with AUTOCAST:
        loss = model(input_ids=blocks, labels=blocks).loss.item()
    model.train()
    return loss


def alphabet_size(lever: Lever, step: int, vocab_size: int) -> int:
    return next((ids for until, ids in lever.alphabet_schedule if step < until), vocab_size)


def run_lever(name: str, lever: Lever, tokenizer, train: torch.Tensor, heldout: torch.Tensor, steps: int,
              eval_every: int, batch: int, seed: int) -> list[dict]:
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = build_model(lever, tokenizer)
    opts = optimizers(model, lever)
    bases = [[g["lr"] for g in opt.param_groups] for opt in opts]
    special = set(tokenizer.all_special_ids)
    vocab = [i for i in range(len(tokenizer)) if i not in special]
    block = train.shape[1]
    copy_rows = round(batch * lever.copy_fraction)
    curve, start = [], time.time()
    model.train()
    for step in range(steps + 1):
        if step % eval_every == 0 or step == steps:
            copy = copying_accuracy(model, tokenizer, n=64, seed=seed)
            size = alphabet_size(lever, step, len(vocab))
            # on the curriculum's current alphabet too (shorter rows: they need fewer distinct ids): did the
            # circuit form at all, whatever it does on the rest of the vocabulary?
            on_alphabet = copying_accuracy(model, tokenizer, n=64, seed=seed, vocab=vocab[:size], total=64,
                                           segment=(8, 16), gap=(0, 16)) if size < len(vocab) else copy
            model.train()
            row = {"lever": name, "step": step, "wall_s": round(time.time() - start, 1), "copy": copy["repeat"],
                   "copy_alphabet": on_alphabet["repeat"], "alphabet": size,
                   "heldout_loss": heldout_loss(model, heldout)}
            curve.append(row)
            print(f"{name:<22} step {step:>5}  {row['wall_s']:>7.0f} s  copy {row['copy']:6.1%}  "
                  f"on its {size}-id alphabet {row['copy_alphabet']:6.1%}  "
                  f"held-out loss {row['heldout_loss']:.3f}", flush=True)
        if step == steps:
            break
        sizes = [alphabet_size(lever, step, len(vocab))]
        if lever.keep_earlier_alphabets:
            sizes += [ids for until, ids in lever.alphabet_schedule if until <= step]
        # rng.choice only when there is a choice: it draws from the rng, which would shift every other lever's data
        rows = [torch.tensor(copy_block(vocab[: rng.choice(sizes) if len(sizes) > 1 else sizes[0]], block, rng,
                                        lever.segment, lever.gap)) for _ in range(copy_rows)]
        rows += [train[rng.randrange(len(train))] for _ in range(batch - copy_rows)]
        ids = torch.stack(rows)
        for opt, base in zip(opts, bases):
            for group, lr in zip(opt.param_groups, base):
                group["lr"] = lr * lr_factor(step, steps)
        with AUTOCAST:
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        for opt in opts:
            opt.step()
            opt.zero_grad(set_to_none=True)
    return curve


def full_blocks(packed) -> torch.Tensor:
    """The packed blocks without padding (packing pads the tail of each batch of documents)."""
    return torch.tensor([ids for ids, mask in zip(packed["input_ids"], packed["attention_mask"]) if all(mask)])


def ensure_run(run: Path) -> None:
    """The speedrun's first stages (crawl, data, tokenizer) into ``run`` when they are not there yet."""
    if (run / "tokenizer").is_dir() and (run / "data" / "data").is_dir():
        return
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    align = [sys.executable, "-m", "align.cli"]
    for args in (["world", "crawl", "--out", str(run / "crawl")],
                 ["data", "--crawl", str(run / "crawl"), "--out", str(run / "data")],
                 ["tokenizer", "train", "--data", str(run / "data" / "data"), "--out", str(run / "tokenizer"),
                  "--vocab_size", "4096"]):
        subprocess.run(align + args, check=True, env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default="runs/bench-induction", help="a speedrun dir with tokenizer/ and data/")
    parser.add_argument("--levers", default=",".join(LEVERS), help=f"comma-separated, of: {', '.join(LEVERS)}")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--block", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jsonl", default=None, help="append every curve point here as JSON lines")
    args = parser.parse_args()
    unknown = [n for n in args.levers.split(",") if n not in LEVERS]
    if unknown:
        parser.error(f"unknown lever(s) {', '.join(unknown)}; known: {', '.join(LEVERS)}")

    run = Path(args.run)
    ensure_run(run)
    tokenizer = AutoTokenizer.from_pretrained(run / "tokenizer")
    docs = load_text_dataset(str(run / "data" / "data")).shuffle(seed=args.seed)
    held = max(1, len(docs) // 50)  # 2% of documents held out, as the recipe's eval_fraction
    pack = dict(tokenizer=tokenizer, block_size=args.block)
    train, heldout = (full_blocks(pack_documents(part, **pack)) for part in
                      (docs.select(range(held, len(docs))), docs.select(range(held))))
    heldout = heldout[:32]
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    print(f"corpus: {train.numel():,} training tokens in {len(train)} blocks of {args.block}; "
          f"{args.steps} steps of {args.batch} rows = {args.steps * args.batch / len(train):.1f} epochs of text")

    results = []
    for name in args.levers.split(","):
        lever = LEVERS[name]
        curve = run_lever(name, lever, tokenizer, train, heldout, args.steps, args.eval_every, lever.batch or args.batch,
                          args.seed)
        results.append((name, lever, curve))
        if args.jsonl:
            with open(args.jsonl, "a") as f:
                for point in curve:
                    f.write(json.dumps({**point, "note": lever.note}) + "\n")

    print(f"\n| lever | what changes | steps | wall (s) | copy at step {args.steps // 2} | copy at the end | best |"
          f" best on its training alphabet | held-out loss |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, lever, curve in results:
        mid = next(p for p in curve if p["step"] >= args.steps // 2)
        print(f"| {name} | {lever.note} | {curve[-1]['step']} | {curve[-1]['wall_s']:.0f} | {mid['copy']:.1%} | "
              f"{curve[-1]['copy']:.1%} | {max(p['copy'] for p in curve):.1%} | "
              f"{max(p['copy_alphabet'] for p in curve):.1%} | {curve[-1]['heldout_loss']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
