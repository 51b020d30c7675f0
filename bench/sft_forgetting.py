"""Why SFT loses what the base model knew: format transfer or forgetting? SFT variants from one base, measured alike.

    python bench/sft_forgetting.py --run runs/tiny-world                     # the speedrun's base, every variant
    python bench/sft_forgetting.py --run runs/tiny-world --variants before,recipe

Each variant is the speedrun's SFT recipe (``recipes/tiny-world/sft.yaml`` with ``--run <run>``) with its two
anti-forgetting levers set explicitly (the ``idk`` probe's threshold, rehearsed pretraining documents; ``before`` has
neither, ``recipe`` is the recipe as it is) and maybe a few options changed, trained into ``<out>/<variant>`` (kept: a
finished variant is measured again, not retrained). The base and every SFT model are then measured on the same
facts, all of them seen in 5+ pretraining documents:

- cloze: the base's own test (a document prefix, greedy) — is the fact still in the weights?
- chat: held-out question phrasings through the chat template — can the assistant say it? — and how often it
  answers "I don't know" instead, split by whether the probe its SFT data was built from (``<out>/<variant>-probe.json``,
  a copy of ``<run>/sft-probe.json`` when there is one) found the fact known (``idk`` teaches refusals for the others);
- hallucination: held-out questions about entities the corpus never mentions, answered instead of refused;
- held-out bits per byte on the documents pretraining held out.

Prints one table (and writes ``<out>/results.json``, keeping the rows of earlier invocations).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from align.data.text import HeldoutSplit, load_text_dataset  # noqa: E402
from align.engine import load_model  # noqa: E402
from align.errors import UserError, exit_on_user_error  # noqa: E402
from align.eval.batch_chat import ask_batch  # noqa: E402
from align.eval.probes import bits_per_byte  # noqa: E402
from align.logging_utils import setup_logging  # noqa: E402
from align.run_layout import RunLayout  # noqa: E402
from align.tasks.facts import bucket_of, cloze_recall  # noqa: E402
from align.tasks.probe import is_known  # noqa: E402
from align.world import load_world  # noqa: E402
from align.world.crawl import read_exposure  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "tiny-world" / "sft.yaml"
BANDS = ("5-19", "20+")

@dataclass
class Variant:
    """The speedrun's SFT recipe with its anti-forgetting levers set explicitly, plus some options changed."""

    options: list[str] = field(default_factory=list)
    """recipes/sft.py command-line options."""
    known_threshold: float = 0.5
    """The ``idk`` probe: a fact is known when this share of its 4 sampled answers is right."""
    rehearsal: int = 0
    """Pretraining documents rehearsed as assistant turns (the ``documents`` builder; 0: none)."""
    mixture_n: dict[str, int] = field(default_factory=dict)
    """Rows per builder, where they differ from the recipe's."""


LORA = ["--use_peft", "true", "--lora_r", "64", "--lora_alpha", "64", "--lora_target_modules", "all-linear",
        "--merge_lora", "true"]
VARIANTS: dict[str, Variant] = {
    "before": Variant(),  # the recipe before this bench: a fact known when 2 of 4 samples are right, no rehearsal
    "lr-3e-4": Variant(["--learning_rate", "3e-4"]),
    "lr-1e-4": Variant(["--learning_rate", "1e-4"]),
    "1-epoch": Variant(["--num_train_epochs", "1"]),
    "lora-r64": Variant(LORA),
    "rehearsal": Variant(rehearsal=2000),
    "probe-1of4": Variant(known_threshold=0.25),
    "recipe": Variant(known_threshold=0.25, rehearsal=2000),  # recipes/tiny-world/sft.yaml now
    "recipe-chat-1600": Variant(known_threshold=0.25, rehearsal=2000, mixture_n={"world_chat": 1600}),
}


def probe_file(out: Path, name: str) -> Path:
    """The probe results a variant's SFT data was built from (its own copy: the threshold rewrites ``known``)."""
    return out / f"{name}-probe.json"


def model_dir_of(out: Path, name: str) -> Path:
    """Where a variant's model is (the merged one for LoRA)."""
    return out / name / "merged" if "--merge_lora" in VARIANTS[name].options else out / name


def train_variant(run: Path, out: Path, name: str) -> float | None:
    """Train one variant unless it is there already; returns the training wall time (None when reused)."""
    if (model_dir_of(out, name) / "model.safetensors").exists():
        return None
    variant = VARIANTS[name]
    probe = probe_file(out, name)
    if (run / "sft-probe.json").exists() and not probe.exists():  # the same probe (seed, samples, temperature)
        shutil.copy(run / "sft-probe.json", probe)
    config = yaml.safe_load(RECIPE.read_text())
    mixture = [entry for entry in config["mixture"] if entry["builder"] != "documents"]
    for entry in mixture:
        if entry["builder"] == "idk":
            entry.update(probe={**entry.get("probe", {}), "known_threshold": variant.known_threshold},
                         probe_out=str(probe))
        elif "probe_results" in entry:
            entry["probe_results"] = str(probe)
        entry["n"] = variant.mixture_n.get(entry["builder"], entry["n"])
    if variant.rehearsal:
        mixture.append({"builder": "documents", "path": "${run}/data/data", "n": variant.rehearsal,
                        "heldout_split": "${run}/base"})
    config["mixture"] = mixture
    model_dir = out / name
    config_file = out / f"{name}.yaml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "recipes" / "sft.py"), "--config", str(config_file), "--run", str(run),
                    "--output_dir", str(model_dir), "--report_to", "none", "--save_strategy", "no", *variant.options],
                   check=True)
    return time.perf_counter() - start


def measure(model_dir: Path, world, exposure: dict[str, int], probe: dict, threshold: float, questions: list[dict],
            heldout: list[str], unknown: list[dict] = ()) -> dict:
    model, tokenizer = load_model(str(model_dir))
    cloze = cloze_recall(model, tokenizer, world, exposure)["buckets"]
    result: dict = {f"cloze {band}": cloze[band]["recall"] for band in BANDS if band in cloze}
    result["bpb"] = bits_per_byte(model, tokenizer, heldout)
    if not questions:  # the base model: no chat
        return result
    replies = ask_batch(model, tokenizer, [q["question"] for q in questions], max_new_tokens=32)
    groups: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for q, reply in zip(questions, replies):
        graded = (world.answer_matches(q["fact_id"], reply), world.is_abstention(reply))
        groups[f"chat {q['band']}"].append(graded)
        groups["chat probe-known" if q["fact_id"] in probe and is_known(probe[q["fact_id"]], threshold) else "chat probe-unknown"].append(
            graded)
    for key, graded in groups.items():
        result[key] = sum(ok for ok, _ in graded) / len(graded)
        result[key.replace("chat", "idk")] = sum(idk for _, idk in graded) / len(graded)
    if unknown:  # the price of answering more: inventing facts about entities the corpus never mentions
        replies = ask_batch(model, tokenizer, [q["question"] for q in unknown], max_new_tokens=32)
        result["hallucination"] = sum(not world.is_abstention(r) for r in replies) / len(replies)
    return result


@exit_on_user_error
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default="runs/tiny-world", help="a speedrun's directory (base, crawl, data, configs)")
    parser.add_argument("--out", default=None, help="where the variants go (default <run>/sft-forgetting)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--questions", type=int, default=400, help="held-out questions on facts seen in 5+ documents")
    args = parser.parse_args(argv)
    setup_logging("WARNING")
    run = Path(args.run)
    out = Path(args.out or run / "sft-forgetting")
    out.mkdir(parents=True, exist_ok=True)
    names = [n for n in args.variants.split(",") if n]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise UserError(f"unknown variant(s) {', '.join(unknown)} (known: {', '.join(VARIANTS)})")
    for needed in ("base", "crawl", "data/data"):
        if not (run / needed).exists():
            raise UserError(f"{run}: no {needed} (run the speedrun up to SFT first: bash recipes/speedrun.sh)")

    layout = RunLayout(run)
    world = load_world(str(layout.stage("crawl")))
    exposure = {fid: counts["clean_en"] for fid, counts in read_exposure(layout.stage("crawl")).items()}
    pairs = [dict(p, band=bucket_of(exposure.get(p["fact_id"], 0))) for p in world.qa_pairs("heldout")
             if p["answerable"]]
    pairs = [p for p in pairs if p["band"] in BANDS]
    questions = random.Random(0).sample(pairs, min(args.questions, len(pairs)))
    unknown = [p for p in world.qa_pairs("heldout") if not p["answerable"]]
    unknown = random.Random(0).sample(unknown, min(100, len(unknown)))
    split = HeldoutSplit.read(layout.stage("base")) or HeldoutSplit()
    _, heldout_docs = split.apply(load_text_dataset(str(layout.stage("data") / "data")))
    heldout = list(heldout_docs["text"])[:200]
    results = out / "results.json"  # rows of earlier invocations are kept
    rows: dict[str, dict] = json.loads(results.read_text())["rows"] if results.exists() else {}
    rows["base"] = measure(layout.stage("base"), world, exposure, {}, 0.5, [], heldout)
    for name in names:
        seconds = train_variant(run, out, name)
        probe, threshold = json.loads(probe_file(out, name).read_text()), VARIANTS[name].known_threshold
        rows[name] = measure(model_dir_of(out, name), world, exposure, probe, threshold, questions, heldout, unknown)
        rows[name]["train s"] = seconds
        rows[name]["probe known 5-19"], rows[name]["probe known 20+"] = (
            sum(q["fact_id"] in probe and is_known(probe[q["fact_id"]], threshold) for q in questions
                if q["band"] == band)
            / max(1, sum(q["band"] == band for q in questions)) for band in BANDS)
        results.write_text(json.dumps({"rows": rows}, indent=2))

    columns = ["cloze 5-19", "cloze 20+", "chat 5-19", "chat 20+", "idk 5-19", "idk 20+", "probe known 5-19",
               "probe known 20+", "chat probe-known", "idk probe-known", "chat probe-unknown", "idk probe-unknown",
               "hallucination", "bpb", "train s"]
    print(f"\n{len(questions)} held-out questions on facts seen in 5+ documents (probe known: the share of them the "
          "variant's SFT data treats as known to the base)")
    print(f"{'model':<22}" + "".join(f"{c:>19}" for c in columns))
    for name, row in rows.items():
        cells = []
        for column in columns:
            value = row.get(column)
            cells.append("" if value is None else f"{value:.0f}" if column == "train s" else
                         f"{value:.3f}" if column == "bpb" else f"{value:.1%}")
        print(f"{name:<22}" + "".join(f"{c:>19}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
