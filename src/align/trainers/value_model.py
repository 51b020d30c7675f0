"""The critic: a separate ``AutoModelForSequenceClassification`` (one label) read at every token.

A sequence-classification model is a backbone plus a linear ``score`` head; the reward model uses the head's output
at the last token, the critic applies the same head to every position's hidden state, which gives V(s_t) for each
prefix. A separate model (rather than a value head on the policy's backbone) is what InstructGPT and TRL did: the
critic can start from the reward model (which already knows what scores well) and its updates never disturb the
policy's features; the cost is a second trainable copy of the backbone. Without a reward model (a reward
function instead) the critic starts from the policy's weights, with a zero-initialised head so V ≡ 0 at first.

``PolicyAndValue`` holds policy and critic in one ``nn.Module`` so one optimiser, one ``accelerator.prepare`` and
one DDP gradient all-reduce cover both.
"""

from __future__ import annotations

import copy
import inspect
import logging

import torch
from torch import nn

from align.errors import UserError, first_line

logger = logging.getLogger(__name__)

HEAD_NAMES = ("score", "classifier")


def value_head(model) -> nn.Module:
    """The linear head of a sequence-classification model (``score`` in most decoder models)."""
    for name in HEAD_NAMES:
        head = getattr(model, name, None)
        if isinstance(head, nn.Module):
            return head
    raise UserError(f"{type(model).__name__}: no 'score' head: the critic must be a sequence-classification model")


def backbone(model) -> nn.Module:
    """The transformer under the head (``model.model`` for Llama-likes)."""
    return getattr(model, model.base_model_prefix)


def position_ids_from(attention_mask: torch.Tensor) -> torch.Tensor:
    """Positions that skip left padding: 0 at each row's first real token."""
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


def _accepts_logits_to_keep(model) -> bool:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "logits_to_keep" in inspect.signature(base.forward).parameters


def response_logits(policy, input_ids: torch.Tensor, attention_mask: torch.Tensor, context_length: int):
    """The logits that predict each response token (positions ``context_length − 1 … T − 2``)."""
    n_response = input_ids.shape[1] - context_length
    extra = {"logits_to_keep": n_response + 1} if _accepts_logits_to_keep(policy) else {}
    logits = policy(input_ids=input_ids, attention_mask=attention_mask,
                    position_ids=position_ids_from(attention_mask), use_cache=False, **extra).logits
    return logits[:, -(n_response + 1):-1]


def token_values(critic, input_ids: torch.Tensor, attention_mask: torch.Tensor, context_length: int) -> torch.Tensor:
    """V(s_t) for each response token t: the head applied to the hidden state *before* the token is generated
    (positions ``context_length − 1 … T − 2``). Shape ``(batch, T − context_length)``, float32."""
    hidden = backbone(critic)(input_ids=input_ids, attention_mask=attention_mask,
                              position_ids=position_ids_from(attention_mask), use_cache=False).last_hidden_state
    values = value_head(critic)(hidden[:, context_length - 1 : -1]).squeeze(-1)
    return values.float()


def load_value_model(source, trust_remote_code: bool = False, **init_kwargs):
    """A one-label sequence-classification critic from ``source``: a model dir or Hub id (reward model or
    policy), a sequence-classification model (copied) or a causal LM (backbone copied). A head that did not exist
    in ``source`` starts at zero."""
    from transformers import AutoModelForSequenceClassification, PreTrainedModel

    if isinstance(source, str):
        try:
            model, info = AutoModelForSequenceClassification.from_pretrained(
                source, num_labels=1, trust_remote_code=trust_remote_code, output_loading_info=True, **init_kwargs)
        except (OSError, ValueError) as err:
            raise UserError(f"value model {source}: could not load as a sequence classifier: {first_line(err)}") from err
        head_missing = any(key.split(".")[0] in HEAD_NAMES for key in info.get("missing_keys", []))
    elif isinstance(source, PreTrainedModel) and any(isinstance(getattr(source, n, None), nn.Module)
                                                     for n in HEAD_NAMES):
        model, head_missing = copy.deepcopy(source), False
    elif isinstance(source, PreTrainedModel):
        base = source.get_base_model() if hasattr(source, "get_base_model") else source
        model = AutoModelForSequenceClassification.from_config(base.config, num_labels=1,
                                                               trust_remote_code=trust_remote_code)
        missing, unexpected = backbone(model).load_state_dict(backbone(base).state_dict(), strict=False)
        if unexpected or missing:
            raise UserError(f"value model from {type(base).__name__}: backbone weights do not fit "
                            f"({len(missing)} missing, {len(unexpected)} unexpected)")
        model.to(device=next(base.parameters()).device, dtype=next(base.parameters()).dtype)
        head_missing = True
    else:
        raise UserError(f"value model: expected a path or a transformers model, got {type(source).__name__}")
    if model.config.num_labels != 1:
        raise UserError(f"value model: expected one label (a scalar head), got {model.config.num_labels}")
    if head_missing:
        with torch.no_grad():
            for param in value_head(model).parameters():
                param.zero_()
        logger.info("critic: new value head, initialised to zero")
    return model


def disable_dropout(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0


class PolicyAndValue(nn.Module):
    """Policy (causal LM, possibly a peft model) and critic behind one forward: response logits and values."""

    def __init__(self, policy: nn.Module, critic: nn.Module):
        super().__init__()
        self.policy = policy
        self.critic = critic

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, context_length: int):
        logits = response_logits(self.policy, input_ids, attention_mask, context_length)
        values = token_values(self.critic, input_ids, attention_mask, context_length)
        return logits, values
