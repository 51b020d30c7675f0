"""The folder that is uploaded for one revision: the model (or LoRA adapter, plus the merged model in
``merged/``), the tokenizer with its chat template, ``README.md`` (the generated card), ``recipe.yaml`` and the
run's results — safetensors and text only; never pickles such as ``training_args.bin`` (it holds ``hub_token``)."""

from __future__ import annotations

import fnmatch
import json
import logging
import os
import re
import shutil
import struct
from pathlib import Path

from align.errors import UserError
from align.hub.card import ModelSummary, build_card
from align.hub.run_info import RunInfo, is_hub_id
from align.hub.secrets import known_tokens, redact
from align.report import COLUMN_ORDER

logger = logging.getLogger(__name__)

FILES = ("*.safetensors", "*.json", "*.jinja", "*.txt", "*.model", "*.png", "*.jsonl", "recipe.yaml")
RESUME_FILES = ("optimizer.pt", "scheduler.pt", "scaler.pt", "rng_state*.pth")  # hub_strategy checkpoint/all_checkpoints
NEVER = ("README.md", "training_args.bin")  # the card is generated; the pickle holds hub_token
TEXT_SUFFIXES = (".json", ".jsonl", ".jinja", ".txt", ".yaml", ".md")
MERGED = "merged"
STAGING = ".hub-upload"
_CHECKPOINT = re.compile(r"checkpoint-(\d+)$")


def prepare_folder(model_dir: str | Path, out: str | Path, *, repo_id: str | None = None,
                   revision: str | None = None, resume_state: bool = False, **card_options) -> Path:
    """Write the folder for one revision of ``model_dir`` (a stage's output dir or one of its ``checkpoint-N``)
    into ``out`` (created; must be empty) and return it. ``card_options``: see :func:`model_card`."""
    model_dir, out = Path(model_dir), Path(out)
    check_model_dir(model_dir)
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out}: exists and is not empty")
    out.mkdir(parents=True, exist_ok=True)
    _copy(model_dir, out, FILES + (RESUME_FILES if resume_state else ()))
    if checkpoint_step(model_dir) is None and (model_dir / MERGED / "config.json").is_file():
        _copy(model_dir / MERGED, out / MERGED, FILES)
    if resume_state and (model_dir / "value").is_dir():
        _copy(model_dir / "value", out / "value", FILES)
    card, recipe = model_card(model_dir, folder=out, repo_id=repo_id, revision=revision, **card_options)
    if recipe:
        _write(out / "recipe.yaml", redact(recipe))
    _write(out / "README.md", str(card))
    _scrub(out)
    return out


def model_card(model_dir: str | Path, *, folder: str | Path | None = None, repo_id: str | None = None,
               revision: str | None = None, info: RunInfo | None = None, recipe: str | None = None,
               eval_results: list[dict] | None = None, eval_files: list[str] | None = None,
               base_model: str | None = None, license: str | None = None):
    """(card, recipe text) for ``model_dir`` as uploaded in ``folder`` (default: the dir itself). The run comes
    from ``info``, else the dir's ``align_run.json``, else what the files say; eval rows from ``eval_results``,
    else ``eval_files``, else the run's ``eval/*.json`` that name this model (none for a checkpoint)."""
    model_dir = Path(model_dir)
    step = checkpoint_step(model_dir)
    run_dir = model_dir.parent if step is not None else model_dir
    info = info or RunInfo.load(run_dir) or infer_run_info(model_dir)
    if base_model:
        info.base_model_hub = base_model
    if license:
        info.license = license
    if recipe is None and (run_dir / "recipe.yaml").is_file():
        recipe = (run_dir / "recipe.yaml").read_text()
    if step is not None:
        metrics, note, eval_results = _last_logged(model_dir), "Checkpoints are not evaluated.", []
    else:
        metrics, note = _read_json(model_dir / "all_results.json") or {}, None
        if eval_results is None:
            eval_results = load_eval_files(eval_files) if eval_files else find_eval_results(model_dir)
    card = build_card(info, summarize(Path(folder or model_dir)), repo_id=repo_id or str(model_dir),
                      revision=revision, checkpoint_step=step, eval_results=eval_results, metrics=metrics,
                      recipe=recipe, eval_note=note)
    return card, recipe


def staging_dir(model_dir: Path, revision: str) -> Path:
    """Where a revision's folder is assembled before upload: inside the model dir (the same file system, so
    weights are hard links), else a temporary dir."""
    import tempfile

    path = Path(model_dir) / f"{STAGING}-{revision}"
    try:
        shutil.rmtree(path, ignore_errors=True)  # left over from an interrupted push
        path.mkdir()
        return path
    except OSError:
        return Path(tempfile.mkdtemp(prefix=f"align-hub-{revision}-"))


def checkpoint_step(model_dir: Path) -> int | None:
    match = _CHECKPOINT.search(Path(model_dir).name)
    return int(match.group(1)) if match else None


def check_model_dir(model_dir: Path) -> None:
    if not model_dir.is_dir():
        raise UserError(f"{model_dir}: no such model directory")
    if not ((model_dir / "config.json").is_file() or (model_dir / "adapter_config.json").is_file()):
        raise UserError(f"{model_dir}: not a model dir (no config.json or adapter_config.json)")
    if not any(model_dir.glob("*.safetensors")):
        raise UserError(f"{model_dir}: no safetensors weights")


def summarize(folder: Path) -> ModelSummary:
    adapter_config = _read_json(folder / "adapter_config.json")
    config = _read_json(folder / "config.json") or _read_json(folder / MERGED / "config.json") or {}
    architecture = (config.get("architectures") or [None])[0]
    tokenizer_config = _read_json(folder / "tokenizer_config.json") or {}
    sequence_classification = bool(architecture and architecture.endswith("ForSequenceClassification")) or (
        (adapter_config or {}).get("task_type") == "SEQ_CLS")
    return ModelSummary(
        adapter=adapter_config is not None, merged=(folder / MERGED / "config.json").is_file(),
        architecture=architecture, parameters=count_parameters(folder) or None,
        sequence_classification=sequence_classification,
        chat_template=(folder / "chat_template.jinja").is_file() or bool(tokenizer_config.get("chat_template")),
        plots=tuple(sorted(p.name for p in folder.glob("*.png"))))


def count_parameters(folder: Path) -> int:
    """Parameters in the folder's root safetensors files, from their headers (no tensor is read)."""
    total = 0
    for path in folder.glob("*.safetensors"):
        with open(path, "rb") as f:
            (size,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(size))
        for name, meta in header.items():
            if name != "__metadata__":
                n = 1
                for dim in meta["shape"]:
                    n *= dim
                total += n
    return total


def infer_run_info(model_dir: Path) -> RunInfo:
    """What can be read from a model dir that ``align`` did not record: the adapter's base model."""
    adapter = _read_json(model_dir / "adapter_config.json") or {}
    base = adapter.get("base_model_name_or_path")
    return RunInfo(base_model=base, base_model_hub=base if is_hub_id(base) else None)


def find_eval_results(model_dir: Path) -> list[dict]:
    """``align eval`` results in the run's ``eval/`` (``runs/<run>/eval`` beside ``runs/<run>/<stage>``) that
    name this dir or its ``merged/`` and are newer than its weights (older ones scored an earlier model)."""
    eval_dir = model_dir.parent / "eval"
    weights = [p.stat().st_mtime for p in model_dir.glob("*.safetensors")]
    if not eval_dir.is_dir() or not weights:
        return []
    targets = [model_dir, model_dir / MERGED]
    results = []
    for path in sorted(eval_dir.glob("*.json")):
        if path.stat().st_mtime < max(weights):
            continue
        result = _read_json(path)
        if result and "metrics" in result and any(_same_model(result.get("model"), t) for t in targets):
            results.append(result)
    order = {name: i for i, name in enumerate(COLUMN_ORDER)}
    return sorted(results, key=lambda r: (order.get(r.get("name"), len(order)), str(r.get("name", ""))))


def load_eval_files(paths: list[str]) -> list[dict]:
    results = []
    for path in paths:
        try:
            results.append(json.loads(Path(path).read_text()))
        except (OSError, json.JSONDecodeError) as err:
            raise UserError(f"{path}: not an `align eval` JSON file ({err})") from err
        if "metrics" not in results[-1] or "name" not in results[-1]:
            raise UserError(f"{path}: not an `align eval` JSON file (no name/metrics)")
    return results


def _same_model(recorded: str | None, target: Path) -> bool:
    if not recorded:
        return False
    path = Path(recorded)
    if path.resolve() == target.resolve():
        return True
    # written from another working directory: the run and stage names still match
    return len(path.parts) >= 2 and path.parts[-2:] == target.resolve().parts[-2:]


def _copy(src: Path, dst: Path, patterns: tuple[str, ...]) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.iterdir()):
        if not path.is_file() or path.name in NEVER or not any(fnmatch.fnmatch(path.name, p) for p in patterns):
            continue
        if path.name.startswith("align_run"):
            continue
        target = dst / path.name
        if path.suffix in (".safetensors", ".pt", ".pth"):
            try:  # weights are never edited in place: a hard link costs no space
                os.link(path, target)
                continue
            except OSError:
                pass
        shutil.copy2(path, target)


def _scrub(folder: Path) -> None:
    """No token in any text file of the folder (a copied file is rewritten, never edited through a link)."""
    tokens = known_tokens()
    for path in folder.rglob("*"):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
            continue
        text = path.read_text(errors="replace")
        if any(t in text for t in tokens) or redact(text) != text:
            path.unlink()
            _write(path, redact(text))
            logger.warning("%s: a token was removed from this file", path.name)


def _last_logged(checkpoint: Path) -> dict:
    state = _read_json(checkpoint / "trainer_state.json") or {}
    latest: dict = {}
    for entry in state.get("log_history", []):
        latest.update(entry)
    return latest


def _read_json(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
