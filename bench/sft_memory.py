"""SFT memory: full fine-tuning vs LoRA vs QLoRA — peak RSS and step time on a ~110M-parameter Llama shape.

    python bench/sft_memory.py [--steps 3] [--batch 1] [--seq 128] [--width 768] [--depth 12]

The model is random-init (the memory and speed of training do not depend on the weights), saved once as
safetensors; each method then runs in its own subprocess so its peak RSS is its own. Full fine-tuning keeps
fp32 weights, gradients and AdamW moments for every parameter; LoRA (r=16 on every linear layer of the blocks)
freezes the base and keeps optimizer state for the adapters only; QLoRA also stores the frozen base in 4-bit
NF4 (bitsandbytes) and computes in bf16. Prints a table; nothing is pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
MODES = ("full", "lora", "qlora")
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Resident set size now (Linux /proc), e.g. the steady state after loading's transient peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def make_model(out_dir: str, width: int, depth: int, vocab: int = 32000) -> int:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=vocab, hidden_size=width, intermediate_size=int(width * 8 / 3) // 64 * 64,
                         num_hidden_layers=depth, num_attention_heads=width // 64, num_key_value_heads=width // 64,
                         max_position_embeddings=2048, tie_word_embeddings=True)
    model = LlamaForCausalLM(config)
    model.save_pretrained(out_dir)
    return sum(p.numel() for p in model.parameters())


def load(mode: str, model_dir: str):
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    if mode == "qlora":
        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16)
        model = AutoModelForCausalLM.from_pretrained(model_dir, quantization_config=quant, device_map={"": "cpu"},
                                                     dtype=torch.bfloat16)
    else:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    if mode != "full":
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules=TARGETS, task_type="CAUSAL_LM"))
    return model


def worker(mode: str, model_dir: str, steps: int, batch: int, seq: int) -> dict:
    import torch

    torch.manual_seed(0)
    model = load(mode, model_dir)
    model.train()
    after_load = rss_mb()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    x = torch.randint(10, model.config.vocab_size, (batch, seq))
    times = []
    for step in range(steps + 1):  # step 0 warms up (allocations, kernels) and is not timed
        start = time.perf_counter()
        loss = model(input_ids=x, labels=x).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step:
            times.append(time.perf_counter() - start)
    return {"mode": mode, "trainable_M": sum(p.numel() for p in trainable) / 1e6, "rss_after_load_MB": after_load,
            "peak_rss_MB": rss_mb(), "rss_end_MB": current_rss_mb(), "step_s": sum(times) / len(times), "loss": float(loss)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--depth", type=int, default=12)
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.model_dir, args.steps, args.batch, args.seq)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        n_params = make_model(tmp, args.width, args.depth)
        print(f"model: Llama, width {args.width}, depth {args.depth}, {n_params / 1e6:.1f}M parameters (random init); "
              f"batch {args.batch} x {args.seq} tokens, {args.steps} timed steps, torch threads {os.cpu_count()}")
        rows = []
        for mode in args.modes:
            cmd = [sys.executable, __file__, "--worker", mode, "--model-dir", tmp, "--steps", str(args.steps),
                   "--batch", str(args.batch), "--seq", str(args.seq)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
            if proc.returncode or not lines:
                error = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                rows.append({"mode": mode, "error": error[:150]})
            else:
                rows.append(json.loads(lines[-1]))
    print(f"\n{'method':<7} {'trainable':>10} {'peak RSS, load':>15} {'peak RSS':>10} {'RSS, end':>10} "
          f"{'step time':>10}")
    for row in rows:
        if "error" in row:
            print(f"{row['mode']:<7} failed: {row['error']}")
            continue
        print(f"{row['mode']:<7} {row['trainable_M']:>9.1f}M {row['rss_after_load_MB']:>12.0f} MB "
              f"{row['peak_rss_MB']:>7.0f} MB {row['rss_end_MB']:>7.0f} MB {row['step_s']:>9.2f}s")


if __name__ == "__main__":
    main()
