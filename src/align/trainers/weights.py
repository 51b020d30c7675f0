"""Put saved weights back into a live model (checkpoint resume, best policy at the end)."""

from __future__ import annotations

import json
import os

from torch import nn

from align.errors import UserError


def is_peft_model(model) -> bool:
    return hasattr(model, "peft_config") and hasattr(model, "disable_adapter")


def load_weights(model: nn.Module, directory: str) -> None:
    """Load the weights ``save_pretrained`` wrote to ``directory`` into ``model`` in place: the adapter of a peft
    model, else the full (possibly sharded) safetensors state. Tied weights may be absent from the file."""
    from safetensors.torch import load_file

    if is_peft_model(model):
        from peft import set_peft_model_state_dict

        path = os.path.join(directory, "adapter_model.safetensors")
        if not os.path.isfile(path):
            raise UserError(f"{directory}: no adapter_model.safetensors to resume the LoRA policy from")
        result = set_peft_model_state_dict(model, load_file(path))
        if getattr(result, "unexpected_keys", None):
            raise UserError(f"{directory}: adapter does not fit the policy ({result.unexpected_keys[:3]} ...)")
        return
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.isfile(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    elif os.path.isfile(os.path.join(directory, "model.safetensors")):
        files = ["model.safetensors"]
    else:
        raise UserError(f"{directory}: no model.safetensors to load")
    state = {}
    for name in files:
        state.update(load_file(os.path.join(directory, name)))
    result = model.load_state_dict(state, strict=False)
    params = dict(model.named_parameters(remove_duplicate=False))
    loaded = {params[k].data_ptr() for k in state if k in params}
    missing = [k for k in result.missing_keys if k not in params or params[k].data_ptr() not in loaded]
    if result.unexpected_keys or missing:
        raise UserError(f"{directory}: weights do not fit the model "
                        f"(missing {missing[:3]}, unexpected {result.unexpected_keys[:3]})")
