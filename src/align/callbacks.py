"""Trainer callbacks shared by the recipes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from transformers import TrainerCallback

logger = logging.getLogger(__name__)


class SampleCallback(TrainerCallback):
    """After each evaluation, sample a continuation of a few prompts and log them (and to ``samples.jsonl``).

    Sampling runs under a forked RNG so the training run's random stream, and thus exact resume, is untouched.
    """

    def __init__(self, prompts: list[str], max_new_tokens: int = 32, temperature: float = 0.8, top_k: int = 50):
        self.prompts = prompts
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_k = top_k

    def on_evaluate(self, args, state, control, model=None, processing_class=None, **kwargs):
        if not self.prompts or model is None or processing_class is None or not state.is_world_process_zero:
            return
        import torch

        samples = []
        was_training = model.training
        model.eval()
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(args.seed + state.global_step)
            for prompt in self.prompts:
                samples.append({"step": state.global_step, "prompt": prompt,
                                "completion": self._continue(model, processing_class, prompt)})
        model.train(was_training)
        for sample in samples:
            logger.info("sample @%d: %s|%s", sample["step"], sample["prompt"], sample["completion"])
        path = Path(args.output_dir) / "samples.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            for sample in samples:
                f.write(json.dumps(sample, ensure_ascii=False) + "\n")

    def _continue(self, model, tokenizer, prompt: str) -> str:
        import torch

        from align.modeling import stop_token_ids

        ids = [tokenizer.bos_token_id] + tokenizer(prompt, add_special_tokens=False)["input_ids"]
        input_ids = torch.tensor([ids], device=model.device)
        out = model.generate(
            input_ids,
            attention_mask=input_ids.new_ones(input_ids.shape),
            max_new_tokens=self.max_new_tokens,
            do_sample=True,
            temperature=self.temperature,
            top_k=self.top_k,
            eos_token_id=stop_token_ids(tokenizer),
            pad_token_id=tokenizer.pad_token_id,
        )
        return tokenizer.decode(out[0, len(ids):], skip_special_tokens=True)
