"""Control for bench/induction.py: a plain loop in which induction does form, to bisect against (issue #16).

    python bench/induction_control.py                       # 64 copy ids, 65 output ids, fp32
    python bench/induction_control.py --bf16 --vocab 3117   # bf16 autocast, the tiny-world tokenizer's vocab size

A 2-layer 256-wide Llama trained only on repeated random segments (8-24 ids, 0-16 other ids between, rows of 128)
drawn from ``--alphabet`` ids, batch 32, AdamW at a constant lr 1e-3, no clipping. Measured on 2 cores: copy accuracy
0.035 / 0.485 / 0.927 at steps 300 / 400 / 500 (a phase change) in bf16; similar with 3,117 output ids. The
bench's recipe-style loop (cosine schedule, clipping, rows of 256 with 8-48-id segments, batch 16) did not learn
copying on 64 ids in 700 steps: the difference between the two is where to look next.
"""

from __future__ import annotations

import argparse
import random
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def copy_row(alphabet: int, rng: random.Random, block: int = 128, segment: int = 24, gap: int = 16) -> list[int]:
    """Id 0 as a document start, then segments of 8-``segment`` distinct ids, 0-``gap`` others, the segment again."""
    out: list[int] = []
    while len(out) < block - 1:
        length, between = rng.randint(8, segment), rng.randint(0, gap)
        ids = rng.sample(range(1, alphabet + 1), min(alphabet, length + between))
        out += ids[:length] + ids[length:] + ids[:length]
    return [0] + out[: block - 1]


@torch.no_grad()
def copy_accuracy(model, alphabet: int, rows: int = 32) -> float:
    """Greedy next-token accuracy on tokens 2-16 of a 16-id segment shown again after 8 other ids."""
    rng = random.Random(1)
    batch = []
    for _ in range(rows):
        ids = rng.sample(range(1, alphabet + 1), min(alphabet, 24))
        segment, filler = ids[:16], ids[16:]
        batch.append([0] + filler + segment + filler[:4] + segment)
    x = torch.tensor(batch)
    guess = model(input_ids=x).logits.argmax(-1)
    n = x.shape[1]
    return (guess[:, n - 16 : n - 1] == x[:, n - 15 :]).float().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alphabet", type=int, default=64, help="copy ids 1..N")
    parser.add_argument("--vocab", type=int, default=None, help="output ids (default alphabet + 1)")
    parser.add_argument("--steps", type=int, default=700)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast, as the recipes where bf16 is native")
    parser.add_argument("--block", type=int, default=128, help="row length (bench/induction.py: 256)")
    parser.add_argument("--segment", type=int, default=24, help="longest segment (bench/induction.py: 48)")
    parser.add_argument("--gap", type=int, default=16, help="longest gap (bench/induction.py: 64)")
    args = parser.parse_args()

    torch.manual_seed(0)
    rng = random.Random(0)
    config = LlamaConfig(vocab_size=args.vocab or args.alphabet + 1, hidden_size=256, intermediate_size=704,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                         max_position_embeddings=256, tie_word_embeddings=True)
    model = LlamaForCausalLM(config)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.1)
    start = time.time()
    for step in range(args.steps + 1):
        if step % 100 == 0:
            model.eval()
            print(f"step {step:>5}  {time.time() - start:>6.0f} s  copy {copy_accuracy(model, args.alphabet):6.1%}",
                  flush=True)
            model.train()
        if step == args.steps:
            break
        x = torch.tensor([copy_row(args.alphabet, rng, args.block, args.segment, args.gap) for _ in range(args.batch)])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            loss = model(input_ids=x, labels=x).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)


if __name__ == "__main__":
    main()
