"""Pretraining throughput: the recipe's Trainer vs a minimal plain-PyTorch loop, and MFU.

    python bench/pretrain_throughput.py [--config recipes/tiny-world/pretrain.yaml] [--steps 30]

Both loops train the same model shape on the same random blocks, with the same batch, sequence length,
optimizer (AdamW), gradient clipping, precision (bf16 autocast where supported) and thread count, in this
process. MFU = achieved model FLOP/s / this machine's matmul peak in the same dtype, measured here too.
Prints figures; nothing is pass/fail.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]


def matmul_peak(dtype, size: int = 2048, seconds: float = 3.0) -> float:
    """Best sustained FLOP/s of a square matmul in ``dtype``."""
    import torch

    a = torch.randn(size, size, dtype=dtype)
    b = torch.randn(size, size, dtype=dtype)
    for _ in range(3):
        a @ b
    best, start = 0.0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        for _ in range(4):
            a @ b
        best = max(best, 4 * 2 * size**3 / (time.perf_counter() - t))
    return best


def flops_per_token(config, seq_len: int) -> float:
    """6 x (matmul parameters) + attention scores and values, as in the PaLM/nanochat MFU formula."""
    d, layers, vocab = config.hidden_size, config.num_hidden_layers, config.vocab_size
    kv = config.num_key_value_heads * (d // config.num_attention_heads)
    per_layer = d * d * 2 + d * kv * 2 + 3 * d * config.intermediate_size
    matmul_params = layers * per_layer + d * vocab  # lm_head counts, the embedding lookup does not
    return 6 * matmul_params + 12 * layers * d * seq_len


def random_blocks(n: int, seq_len: int, vocab: int, seed: int = 0):
    import torch
    from datasets import Dataset

    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(10, vocab, (n, seq_len), generator=g).tolist()
    return Dataset.from_dict({"input_ids": ids, "labels": ids, "attention_mask": [[1] * seq_len] * n})


def plain_loop(model, blocks, batch_size: int, steps: int, warmup: int, lr: float, bf16: bool, max_grad_norm: float):
    import torch

    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0, fused=True)
    model.train()
    data = torch.tensor(blocks["input_ids"])
    times = []
    for step in range(warmup + steps):
        batch = data[(step * batch_size) % len(data):][:batch_size]
        t = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if step >= warmup:
            times.append(time.perf_counter() - t)
    return sum(times) / len(times)


def recipe_loop(model, tokenizer, blocks, training_args, steps: int, warmup: int):
    from transformers import TrainerCallback

    from align.pretraining import build_trainer

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.times, self.start = [], None

        def on_step_begin(self, args, state, control, **kwargs):
            self.start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step > warmup:
                self.times.append(time.perf_counter() - self.start)

    timer = StepTimer()
    trainer = build_trainer(model, tokenizer, training_args, blocks, callbacks=[timer])
    trainer.train()
    return sum(timer.times) / len(timer.times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(ROOT / "recipes/tiny-world/pretrain.yaml"))
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--vocab-size", type=int, default=None, help="default: the trained tokenizer's, or 4096")
    args, overrides = parser.parse_known_args(argv)

    import torch
    import transformers

    from align.config import parse_recipe_args
    from align.logging_utils import setup_logging
    from align.modeling import llama_config
    from align.pretraining import make_parser
    from align.tokenizer import TokenizerTrainingConfig, train_tokenizer

    setup_logging("WARNING")
    transformers.logging.set_verbosity_error()
    out = tempfile.mkdtemp(prefix="align-bench-")
    script_args, training_args, _, shape = parse_recipe_args(
        make_parser(),
        ["--config", args.config, "--output_dir", out, "--max_steps", str(args.steps + args.warmup),
         "--eval_strategy", "no", "--save_strategy", "no", "--logging_steps", "1000", "--report_to", "none",
         "--disable_tqdm", "true", *overrides],
    )
    vocab = args.vocab_size or 4096
    corpus = [f"document {i}: " + " ".join(str(j * i % 997) for j in range(200)) for i in range(200)]
    tokenizer = train_tokenizer(corpus, TokenizerTrainingConfig(vocab_size=vocab, min_frequency=1))
    config = llama_config(shape, tokenizer)
    config.vocab_size = vocab
    seq, batch = script_args.block_size, training_args.per_device_train_batch_size
    blocks = random_blocks(batch * (args.steps + args.warmup), seq, vocab)
    bf16 = bool(training_args.bf16)
    dtype = torch.bfloat16 if bf16 else torch.float32

    peak = matmul_peak(dtype)
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config)
    n_params = sum(p.numel() for p in model.parameters())
    step_plain = plain_loop(model, blocks, batch, args.steps, args.warmup, training_args.learning_rate, bf16,
                            training_args.max_grad_norm)
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config)
    step_recipe = recipe_loop(model, tokenizer, blocks, training_args, args.steps, args.warmup)

    tokens = batch * seq
    fpt = flops_per_token(config, seq)
    rows = [("plain PyTorch loop", step_plain), ("recipe (Trainer)", step_recipe)]
    print(f"model: depth {shape.depth}, width {shape.width}, heads {shape.heads}, vocab {vocab}, "
          f"{n_params / 1e6:.1f}M params; batch {batch} x seq {seq}; {'bf16 autocast' if bf16 else 'fp32'}; "
          f"{torch.get_num_threads()} threads")
    print(f"measured {dtype} matmul peak: {peak / 1e9:.1f} GFLOP/s; model FLOPs/token: {fpt / 1e6:.1f}M")
    print(f"{'loop':<22}{'step ms':>10}{'tokens/s':>12}{'MFU':>8}")
    for name, step in rows:
        print(f"{name:<22}{step * 1e3:>10.1f}{tokens / step:>12.0f}{tokens / step * fpt / peak:>8.1%}")
    print(f"recipe / plain tokens/s: {step_plain / step_recipe:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
