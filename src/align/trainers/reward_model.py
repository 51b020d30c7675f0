"""A reward model as a reward function with TRL's contract ``f(prompts, completions, **kwargs) -> list[float]``.

The conventional RLHF reward model is a one-label ``AutoModelForSequenceClassification`` whose output at the last
token is the score. Text is formed exactly as TRL's ``RewardTrainer`` trained it and as ``GRPOTrainer`` scores with
a reward model: conversational prompts get the chat template over ``prompt + completion`` messages, plain prompts
are concatenated with their completion; right padding; the model's own pooled logit.

For GRPO/RLOO the simplest route is TRL's own: pass the reward model *dir* in ``reward_funcs`` and TRL loads it,
places it (DeepSpeed/FSDP aware) and scores it the same way. :func:`reward_model_reward` is the same scoring as a
plain callable, for places that take callables only: PPO here, ``align.rewards``-style weighted mixtures, tests.
"""

from __future__ import annotations

import logging

import torch

from align.errors import UserError, first_line
from align.rewards.base import completion_text
from align.trainers.rollout import is_conversational

logger = logging.getLogger(__name__)


class RewardModelScorer:
    """Scores (prompt, completion) pairs with a sequence-classification reward model, in batches, without grad."""

    def __init__(self, model, tokenizer=None, batch_size: int = 16, device=None, trust_remote_code: bool = False,
                 **init_kwargs):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        source = model if isinstance(model, str) else getattr(model, "name_or_path", "reward model")
        if isinstance(model, str):
            try:
                model = AutoModelForSequenceClassification.from_pretrained(
                    model, num_labels=1, trust_remote_code=trust_remote_code, **init_kwargs)
            except (OSError, ValueError) as err:
                raise UserError(f"reward model {source}: could not load: {first_line(err)}") from err
        if tokenizer is None:
            try:
                tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
            except (OSError, ValueError, TypeError) as err:
                raise UserError(f"reward model {source}: no tokenizer beside it ({first_line(err)}); "
                                "pass reward_processing_class") from err
        if getattr(model.config, "num_labels", 1) != 1:
            raise UserError(f"reward model {source}: expected one label (a scalar score), got {model.config.num_labels}")
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model.config.pad_token_id = tokenizer.pad_token_id
        self.model, self.tokenizer, self.batch_size, self.source = model.eval(), tokenizer, batch_size, source
        self.model.requires_grad_(False)
        self.device = device

    def texts(self, prompts: list, completions: list) -> list[str]:
        texts = []
        for prompt, completion in zip(prompts, completions):
            if is_conversational(prompt):
                messages = completion if isinstance(completion, list) else [
                    {"role": "assistant", "content": completion}]
                texts.append(self.tokenizer.apply_chat_template(prompt + messages, tokenize=False))
            else:
                texts.append(prompt + (completion if isinstance(completion, str) else _text(completion)))
        return texts

    @torch.no_grad()
    def __call__(self, prompts: list, completions: list, **kwargs) -> list[float]:
        device = self.device or _default_device()
        if next(self.model.parameters()).device != torch.device(device):
            self.model.to(device)
        texts = self.texts(prompts, completions)
        scores: list[float] = []
        for start in range(0, len(texts), self.batch_size):
            batch = self.tokenizer(texts[start:start + self.batch_size], return_tensors="pt", padding=True,
                                   padding_side="right", add_special_tokens=False).to(device)
            scores += self.model(**batch).logits[:, 0].float().tolist()
        return scores


def _text(completion) -> str:
    return completion_text(completion)


def _default_device():
    from accelerate import PartialState

    return PartialState().device


def reward_model_reward(model_dir: str, batch_size: int = 16, **init_kwargs):
    """The reward model in ``model_dir`` as a reward function ``f(prompts, completions, **kwargs) -> list[float]``
    (TRL's contract; completions may be strings or lists of messages). Loaded now; moved to the process's
    device on the first call."""
    scorer = RewardModelScorer(model_dir, batch_size=batch_size, **init_kwargs)

    def reward_model(prompts, completions, **kwargs):
        return scorer(prompts, completions)

    reward_model.__name__ = "reward_model"
    reward_model.scorer = scorer
    return reward_model
