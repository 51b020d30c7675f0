"""Trainer callbacks shared by the recipes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch
from transformers import TrainerCallback

from align.engine import generate_batch
from align.logging_utils import progress
from align.modeling import stop_token_ids

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
        ids = [tokenizer.bos_token_id] + tokenizer(prompt, add_special_tokens=False)["input_ids"]
        [completion] = generate_batch(model, tokenizer, [ids], max_new_tokens=self.max_new_tokens,
                                      stop_ids=stop_token_ids(tokenizer), do_sample=True,
                                      temperature=self.temperature, top_k=self.top_k)
        return tokenizer.decode(completion, skip_special_tokens=True)


class HeldoutAccuracyCallback(TrainerCallback):
    """Every ``every`` steps (and before the first), answer held-out prompts greedily and log their accuracy and
    mean completion length in tokens — the two curves of the DeepSeek-R1 plot.

    ``prompts`` are conversational (``[{"role": "user", ...}]``); ``answers`` their ground truth; ``score(text,
    answer) -> float | None`` grades one completion. Metrics are logged through the trainer as
    ``heldout/accuracy`` and ``heldout/completion_length``, so they reach ``trainer_state.json`` and every tracker.
    Generation runs under a forked RNG, leaving the training run's random stream (and exact resume) untouched.
    """

    def __init__(self, prompts: list[list[dict]], answers: list, score, every: int = 10, max_new_tokens: int = 128,
                 batch_size: int = 32, tools: list[dict] | None = None):
        self.prompts, self.answers, self.score = prompts, answers, score
        self.every, self.max_new_tokens, self.batch_size, self.tools = every, max_new_tokens, batch_size, tools
        self.trainer = None  # set by the recipe: metrics go through trainer.log
        self.history: list[dict] = []

    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        if state.global_step == 0:
            self._measure(args, state, model, processing_class)

    def on_step_end(self, args, state, control, model=None, processing_class=None, **kwargs):
        if self.every and state.global_step % self.every == 0:
            self._measure(args, state, model, processing_class)

    def _measure(self, args, state, model, tokenizer) -> None:
        if model is None or tokenizer is None:
            return
        was_training = model.training
        model.eval()
        scores, lengths = [], []
        bar = progress(len(self.prompts), "held-out problems", unit="problem", leave=False)
        with bar, torch.random.fork_rng(devices=[]), torch.no_grad():
            for start in range(0, len(self.prompts), self.batch_size):
                texts, n_tokens = self._generate(model, tokenizer, self.prompts[start : start + self.batch_size])
                for text, answer, n in zip(texts, self.answers[start : start + self.batch_size], n_tokens):
                    value = self.score(text, answer)
                    scores.append(0.0 if value is None else float(value))
                    lengths.append(n)
                bar.update(len(texts))
        model.train(was_training)
        metrics = {"heldout/accuracy": sum(scores) / max(len(scores), 1),
                   "heldout/completion_length": sum(lengths) / max(len(lengths), 1)}
        self.history.append({"step": state.global_step, **metrics})
        logger.info("step %d: held-out accuracy %.3f, mean length %.1f tokens", state.global_step,
                    metrics["heldout/accuracy"], metrics["heldout/completion_length"])
        if self.trainer is not None:
            self.trainer.log(metrics)
        elif state.is_world_process_zero:
            state.log_history.append({"step": state.global_step, **metrics})

    def _generate(self, model, tokenizer, prompts):
        encoded = [tokenizer(tokenizer.apply_chat_template(p, tools=self.tools, add_generation_prompt=True,
                                                           tokenize=False), add_special_tokens=False)["input_ids"]
                   for p in prompts]
        completions = generate_batch(model, tokenizer, encoded, max_new_tokens=self.max_new_tokens,
                                     batch_size=len(encoded), stop_ids=stop_token_ids(tokenizer), do_sample=False)
        return tokenizer.batch_decode(completions, skip_special_tokens=True), [len(c) for c in completions]
