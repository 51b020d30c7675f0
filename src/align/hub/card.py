"""The model card: YAML metadata (``huggingface_hub.ModelCardData``) and a body that says what the model is,
what it was made from, how it scored and what it must not be used for, with the recipe that made it."""

from __future__ import annotations

from dataclasses import dataclass

from align.hub.run_info import STAGES, RunInfo, is_hub_id
from align.hub.secrets import redact
from align.report import eval_table


@dataclass
class ModelSummary:
    """What the folder holds (read from its files by :func:`align.hub.folder.summarize`)."""

    adapter: bool = False        # a LoRA adapter at the root
    merged: bool = False         # the merged full model in ``merged/``
    architecture: str | None = None
    parameters: int | None = None
    sequence_classification: bool = False
    chat_template: bool = False
    plots: tuple[str, ...] = ()


INTENDED_USE = (
    "Research and teaching: seeing and measuring how each stage of making a chat assistant (pretraining, SFT, "
    "preference tuning, RL) changes a model. It is not meant for production use, for advice people act on, or for "
    "decisions about people."
)
STAGE_USE = {
    "pretraining": "A base model: it continues documents and does not follow instructions. Fine-tune it (SFT) "
                   "before chatting with it.",
    "sft": "A chat model: prompt it through its chat template (`apply_chat_template`).",
    "reward_model": "Scores a whole conversation (prompt and answer, rendered with the chat template) with one number: "
              "higher means preferred. For ranking answers and as an RLHF reward, not as a judge of truth or safety.",
    "dpo": "A chat policy tuned on preference pairs: prompt it through its chat template.",
    "grpo": "A chat policy tuned with reinforcement learning on verifiable rewards: prompt it through its chat "
            "template.",
    "ppo": "A chat policy tuned with RLHF against a reward model: prompt it through its chat template.",
}
STAGE_USE["rloo"] = STAGE_USE["grpo"]
LIMITATIONS = [
    "Small language models make things up: any fact it states may be false, stated with confidence.",
    "No safety training or red-teaming beyond what its data taught; it can produce harmful or biased text.",
    "English only.",
]
STAGE_LIMITATIONS = {
    "pretraining": ["It can repeat training documents verbatim."],
    "reward_model": ["A learnt proxy of the labeler's preferences from a limited set of pairs: a policy optimised "
                     "against it can find answers it scores highly that the labeler would not prefer (reward hacking)."],
    "dpo": ["It learns only what its preference pairs separate; pairs that hinge on facts the model does not know "
            "teach it little."],
    "grpo": ["Rewarded only where answers can be checked (math, format): abilities the rewards do not measure "
             "can regress."],
    "ppo": ["Optimised against a reward model: the proxy reward can rise while the true (gold) reward falls "
            "(reward hacking; see the proxy-vs-gold plot when present)."],
}
STAGE_LIMITATIONS["rloo"] = STAGE_LIMITATIONS["grpo"]
TINY_WORLD = ("Trained on align's tiny world, a procedurally generated world: it knows (some of) that world's "
              "facts and nothing reliable about the real one.")


def build_card(info: RunInfo, summary: ModelSummary, *, repo_id: str | None = None, revision: str | None = None,
               checkpoint_step: int | None = None, eval_results: list[dict] = (), metrics: dict | None = None,
               recipe: str | None = None, eval_note: str | None = None):
    """A ``huggingface_hub.ModelCard``: metadata for the Hub, the body for people. Tokens are redacted."""
    from huggingface_hub import ModelCard, ModelCardData

    stage = STAGES.get(info.stage or "")
    tags = ["align", *(stage.tags if stage else ())]
    if summary.adapter:
        tags += ["lora", "peft"]
    if _tiny_world(info):
        tags.append("tiny-world")
    data = ModelCardData(
        base_model=info.base_model_hub if is_hub_id(info.base_model_hub) else None,
        datasets=info.datasets or None,
        library_name="peft" if summary.adapter else "transformers",
        license=info.license,
        pipeline_tag="text-classification" if summary.sequence_classification else (
            stage.pipeline_tag if stage else "text-generation"),
        tags=list(dict.fromkeys(tags)),
        language=["en"],
    )
    body = _body(info, summary, stage, repo_id, revision, checkpoint_step, list(eval_results), metrics or {},
                 recipe, eval_note)
    return ModelCard(redact(f"---\n{data.to_yaml()}\n---\n\n{body}"))


def _tiny_world(info: RunInfo) -> bool:
    return any("tiny world" in line or "tiny-world" in line for line in info.data)


def _body(info, summary, stage, repo_id, revision, step, eval_results, metrics, recipe, eval_note) -> str:
    name = repo_id.split("/")[-1] if repo_id else "Model"
    what = stage.title if stage else "A model"
    lines = [f"# {name}", ""]
    intro = f"{what}, made with align on the Hugging Face stack"
    if stage:
        intro += f" (`{stage.trainer}`)"
    lines += [intro + ".", ""]
    if step is not None:
        lines += [f"This revision (`{revision}`) is the checkpoint at step {step}; the final model of the run is on "
                  "`main` (or the run's `hub_revision`).", ""]

    lines += ["## Model", "", "| | |", "|---|---|"]
    lines.append(f"| stage | {info.stage or 'unknown'} |")
    lines.append(f"| base model | {_base(info)} |")
    if summary.architecture:
        size = f", {summary.parameters / 1e6:.1f}M parameters" if summary.parameters else ""
        if summary.adapter and summary.parameters:
            size = f", {summary.parameters / 1e6:.2f}M adapter parameters"
        lines.append(f"| architecture | `{summary.architecture}`{size} |")
    if info.lora:
        lora = info.lora
        kind = "QLoRA" if lora.get("4bit") else "LoRA"
        lines.append(f"| fine-tuning | {kind}: r={lora.get('r')}, alpha={lora.get('alpha')}, "
                     f"targets={lora.get('target_modules') or 'default'} |")
    elif info.stage and info.stage != "pretraining":
        lines.append("| fine-tuning | full |")
    if summary.adapter:
        files = "the LoRA adapter at the root" + (", the merged model in `merged/`" if summary.merged else "")
        lines.append(f"| files | {files} |")
    lines.append(f"| chat template | {'yes' if summary.chat_template else 'no'} |")
    lines.append("")

    lines += ["## Use", "", "```python", *_usage(info, summary, repo_id or "REPO_ID", revision), "```", ""]

    lines += ["## Training data", ""]
    lines += info.data or ["Not recorded."]
    lines.append("")

    lines += ["## Evaluation", ""]
    if eval_results:
        lines += ["Scored against the tiny world's ground truth by `align eval` (the report card's rows):", ""]
        lines += eval_table(eval_results)
        lines.append("")
    else:
        lines += [eval_note or "No `align eval` results for this model yet.", ""]
    rows = _metric_rows(metrics)
    if rows:
        lines += ["Training metrics:", "", "| metric | value |", "|---|---:|", *rows, ""]
    for plot in summary.plots:
        lines += [f"![{plot}]({plot})", ""]

    lines += ["## Intended use", "", INTENDED_USE]
    if info.stage in STAGE_USE:
        lines += ["", STAGE_USE[info.stage]]
    lines.append("")

    lines += ["## Limitations", ""]
    limits = list(LIMITATIONS)
    if _tiny_world(info):
        limits.insert(0, TINY_WORLD)
    limits += STAGE_LIMITATIONS.get(info.stage or "", [])
    if summary.adapter:
        limits.append(f"The adapter needs its base model ({_base(info)}) to load; `merged/` does not."
                      if summary.merged else f"The adapter needs its base model ({_base(info)}) to load.")
    lines += [f"- {limit}" for limit in limits]
    lines.append("")

    if recipe:
        script = f"recipes/{stage.recipe}.py" if stage else "recipes/<stage>.py"
        lines += ["## Recipe", "", f"`recipe.yaml` in this repo; run it again with `python {script} --config "
                  "recipe.yaml` from an align checkout (local paths in it are the training machine's).", "",
                  "```yaml", recipe.rstrip(), "```", ""]

    lines += ["## Framework versions", "", *[f"- {p}: {v}" for p, v in _versions()], ""]
    return "\n".join(lines)


def _base(info: RunInfo) -> str:
    if info.base_model_hub:
        return f"[{info.base_model_hub}](https://huggingface.co/{info.base_model_hub})"
    if info.base_model:
        return f"`{info.base_model}` (local)"
    return "none (trained from scratch)"


def _usage(info: RunInfo, summary: ModelSummary, repo: str, revision: str | None) -> list[str]:
    rev = f', revision="{revision}"' if revision and revision != "main" else ""
    if summary.sequence_classification:
        auto = "AutoModelForSequenceClassification"
        load = [f"from transformers import {auto}, AutoTokenizer", "",
                f'tokenizer = AutoTokenizer.from_pretrained("{repo}"{rev})',
                f'model = {auto}.from_pretrained("{repo}"{rev})',
                'chat = [{"role": "user", "content": "Tell me about Mount Vell."},',
                '        {"role": "assistant", "content": "Mount Vell is a mountain."}]',
                'inputs = tokenizer.apply_chat_template(chat, return_tensors="pt", return_dict=True)',
                "reward = model(**inputs).logits[0, 0].item()"]
        if summary.adapter:
            return _adapter_usage(repo, rev, "AutoPeftModelForSequenceClassification", summary) + load[4:]
        return load
    lines = ["from transformers import AutoModelForCausalLM, AutoTokenizer", ""]
    if summary.adapter:
        lines = _adapter_usage(repo, rev, "AutoPeftModelForCausalLM", summary)
    else:
        lines += [f'tokenizer = AutoTokenizer.from_pretrained("{repo}"{rev})',
                  f'model = AutoModelForCausalLM.from_pretrained("{repo}"{rev})']
    if info.stage == "pretraining" or not summary.chat_template:
        lines += ['inputs = tokenizer("The river", return_tensors="pt")']
    else:
        lines += ['messages = [{"role": "user", "content": "Tell me about Mount Vell."}]',
                  "inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, "
                  'return_tensors="pt", return_dict=True)']
    lines += ["output = model.generate(**inputs, max_new_tokens=128)",
              'print(tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True))']
    return lines


def _adapter_usage(repo: str, rev: str, peft_class: str, summary: ModelSummary) -> list[str]:
    lines = [f"from peft import {peft_class}", "from transformers import AutoTokenizer", "",
             "# the adapter (loads its base model too)",
             f'model = {peft_class}.from_pretrained("{repo}"{rev})',
             f'tokenizer = AutoTokenizer.from_pretrained("{repo}"{rev})']
    if summary.merged:
        auto = "AutoModelForSequenceClassification" if summary.sequence_classification else "AutoModelForCausalLM"
        lines += ["# or the merged model, with transformers alone:",
                  f'# model = transformers.{auto}.from_pretrained("{repo}", subfolder="merged"{rev})']
    return lines


_SKIP_METRICS = ("runtime", "per_second", "flos", "epoch", "step")


def _metric_rows(metrics: dict) -> list[str]:
    rows = []
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or any(s in key for s in _SKIP_METRICS):
            continue
        rows.append(f"| {key} | {value:.4g} |")
    return rows


def _versions() -> list[tuple[str, str]]:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("align", "transformers", "trl", "peft", "torch", "huggingface_hub"):
        try:
            found.append((package, version(package)))
        except PackageNotFoundError:
            continue
    return found
