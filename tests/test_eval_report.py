"""`align eval` tasks and `align report`: metrics come from the world's ground truth, missing inputs skip a task,
bad input is one line, and the report card shows one column per model with its plots."""

from __future__ import annotations

import json

import pytest
from conftest import make_tiny_model_dir, run_cli

from align.errors import UserError


@pytest.fixture(scope="module")
def world():
    from align.world import World

    return World.generate(seed=0)


def test_jagged_probes_are_computed_and_graded(world):
    from align.tasks.jagged import jagged_correct, jagged_items

    items = jagged_items(world, n=9, seed=1)
    assert {i["kind"] for i in items} == {"count", "reverse", "compare"}
    for item in items:
        assert jagged_correct(item, item["answer"])
    compare = next(i for i in items if i["kind"] == "compare")
    assert not jagged_correct(compare, f"{compare['other']} is bigger than {compare['answer']}")
    count = next(i for i in items if i["kind"] == "count")
    assert not jagged_correct(count, str(int(count["answer"]) + 1))


def test_tasks_run_on_a_chat_model_and_skip_what_they_cannot(world, tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from align.tasks import EvalContext, run_tasks

    model, tok = AutoModelForCausalLM.from_pretrained(tiny_model_dir), AutoTokenizer.from_pretrained(tiny_model_dir)
    ctx = EvalContext(model, tok, world, n=3, options={"kind": "chat"})
    result = run_tasks(ctx, ["jagged", "identity", "knowledge_in_context", "reward_model", "gsm8k"])
    metrics = result["metrics"]
    assert {"jagged/count", "jagged/reverse", "jagged/compare", "identity/no_system", "identity/system",
            "knowledge_in_context/accuracy"} <= set(metrics)
    scores = {k: v for k, v in metrics.items() if not k.endswith("_ci95")}
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    for setting in ("no_system", "system"):  # the 95% interval brackets the score
        low, high = metrics[f"identity/{setting}_ci95"]
        assert 0.0 <= low <= metrics[f"identity/{setting}"] <= high <= 1.0
    assert set(result["skipped"]) == {"reward_model", "gsm8k"}
    with pytest.raises(UserError, match="unknown eval task"):
        run_tasks(ctx, ["nope"])


def test_eval_cli_writes_results_and_rejects_bad_tasks(tiny_model_dir, tmp_path, capsys):
    from align.cli import main

    out = tmp_path / "eval" / "SFT.json"
    code, _, _ = run_cli(main, ["eval", "--model", tiny_model_dir, "--tasks", "jagged", "--n", "3", "--name", "SFT",
                                "--out", str(out)], capsys)
    assert code == 0
    result = json.loads(out.read_text())
    assert result["name"] == "SFT" and "jagged/count" in result["metrics"]
    code, _, err = run_cli(main, ["eval", "--model", tiny_model_dir, "--tasks", "jagged,bogus"], capsys)
    assert code == 2 and "unknown eval task(s) bogus" in err and len(err.strip().splitlines()) == 1


def test_eval_holds_out_the_split_recorded_by_pretraining(tiny_model_dir, tmp_path, capsys):
    import datasets

    from align.cli import main
    from align.data.text import HeldoutSplit

    docs = [f"Document {i} is about the town of Vell and its {i} bridges." for i in range(40)]
    data = tmp_path / "data.parquet"
    datasets.Dataset.from_dict({"text": docs}).to_parquet(str(data))
    base = tmp_path / "base"
    base.mkdir()
    HeldoutSplit(fraction=0.25, max_documents=1000, seed=3).save(base)

    def bpb_documents(*extra) -> dict:
        out = tmp_path / "bpb.json"
        code, _, err = run_cli(main, ["eval", "--model", tiny_model_dir, "--kind", "base", "--tasks", "bpb",
                                      "--data", str(data), "--out", str(out), *extra], capsys)
        assert code == 0, err
        return json.loads(out.read_text())["metrics"]

    recorded, default = bpb_documents("--heldout_split", str(base)), bpb_documents()
    assert recorded["bpb/documents"] == 10 and default["bpb/documents"] == 1  # 25% recorded, 2% by default
    code, _, err = run_cli(main, ["eval", "--model", tiny_model_dir, "--tasks", "bpb", "--data", str(data),
                                  "--heldout_split", str(tmp_path)], capsys)
    assert code == 2 and "no heldout_split.json" in err and len(err.strip().splitlines()) == 1
    (base / "heldout_split.json").write_text('{"fraction": 0.25}x')
    code, _, err = run_cli(main, ["eval", "--model", tiny_model_dir, "--tasks", "bpb", "--data", str(data),
                                  "--heldout_split", str(base)], capsys)
    assert code == 2 and "not a held-out split" in err and "Traceback" not in err


def test_eval_of_a_model_without_chat_template_is_one_line(tokenizer_dir, tmp_path, capsys):
    from transformers import AutoTokenizer

    from align.cli import main

    model_dir = make_tiny_model_dir(tokenizer_dir, tmp_path / "base")
    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.chat_template = None
    tok.save_pretrained(model_dir)
    (tmp_path / "base" / "chat_template.jinja").unlink(missing_ok=True)
    code, _, err = run_cli(main, ["eval", "--model", model_dir, "--kind", "chat", "--tasks", "identity"], capsys)
    assert code == 2 and "no chat template" in err and "--kind base" in err and "Traceback" not in err, err
    code, _, err = run_cli(main, ["eval", "--model", model_dir, "--kind", "base", "--tasks", "copying", "--n", "2"],
                           capsys)
    assert code == 0, err


def test_report_card_has_a_column_per_model_and_the_plots(tmp_path):
    from align.report import write_report

    run = tmp_path / "run"
    (run / "eval").mkdir(parents=True)
    for name, hall in (("SFT", 0.1), ("BASE", None), ("SFT-ablation", 0.8)):
        metrics = {"bpb/heldout": 0.25}
        if hall is not None:
            metrics.update({"hallucination/rate": hall, "math/multi_step": 0.2})
        (run / "eval" / f"{name}.json").write_text(json.dumps({"name": name, "model": f"runs/x/{name}",
                                                               "metrics": metrics}))
    (run / "base").mkdir()
    (run / "base" / "trainer_state.json").write_text(json.dumps({"log_history": [
        {"step": 10, "loss": 5.0}, {"step": 20, "loss": 3.0}, {"step": 20, "eval_bpb": 0.5}]}))
    (run / "grpo").mkdir()
    (run / "grpo" / "trainer_state.json").write_text(json.dumps({"log_history": [
        {"step": 0, "heldout/accuracy": 0.1, "heldout/completion_length": 30.0},
        {"step": 10, "heldout/accuracy": 0.3, "heldout/completion_length": 35.0}]}))
    (run / "timings.tsv").write_text("base\t300\n")
    md = write_report(run).read_text()
    assert "| task | BASE | SFT | SFT-ablation |" in md  # BASE first, whatever the file order
    assert "| hallucination on unknown entities (lower is better) | — | 10.0% | 80.0% |" in md
    for png in ("pretraining.png", "grpo_curve.png", "hallucination.png", "thinking_first.png"):
        assert (run / "report" / png).stat().st_size > 1000 and f"]({png})" in md
    assert "| base | 300 |" in md
    with pytest.raises(UserError, match="no such run directory"):
        write_report(tmp_path / "missing")


def test_regurgitation_grows_with_how_often_a_passage_was_trained_on(world, tokenizer_dir, tmp_path):
    """A tiny model trained on documents quoting one passage 24 times and another once continues the first
    verbatim and not the second; the task finds both exposures from the training data itself."""
    import random

    import datasets
    import torch
    from conftest import make_corpus, make_tiny_model_dir
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from align.tasks import EvalContext, run_tasks
    from align.world.quotes import famous_quotes

    often, once = famous_quotes(0)[:2]
    rng = random.Random(0)
    docs = make_corpus(60, seed=3)
    docs = [often.paragraph + "\n" + d if i < 24 else d for i, d in enumerate(docs)] + [once.paragraph]
    rng.shuffle(docs)
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    (crawl / "quotes.json").write_text(json.dumps([often.to_dict(), once.to_dict()]))
    datasets.Dataset.from_dict({"text": docs}).to_parquet(str(tmp_path / "data.parquet"))

    model_dir = make_tiny_model_dir(tokenizer_dir, tmp_path / "model", width=96)
    model, tok = AutoModelForCausalLM.from_pretrained(model_dir), AutoTokenizer.from_pretrained(model_dir)
    ctx = EvalContext(model, tok, world, crawl=str(crawl), data=str(tmp_path / "data.parquet"), n=8)
    train = ctx.training_documents(None)
    assert sum(often.text in d for d in train) >= 20 and sum(once.text in d for d in train) == 1
    rows = [[tok.bos_token_id] + tok(d, add_special_tokens=False)["input_ids"][:255] for d in train]
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    torch.manual_seed(0)
    model.train()
    for _epoch in range(8):  # 16 let the passage quoted once be memorised too (72% on an AVX2 CPU)
        rng.shuffle(rows)
        for start in range(0, len(rows), 4):
            batch = rows[start : start + 4]
            width = max(map(len, batch))
            ids = torch.tensor([r + [tok.pad_token_id] * (width - len(r)) for r in batch])
            labels = torch.tensor([r + [-100] * (width - len(r)) for r in batch])
            loss = model(input_ids=ids, attention_mask=(labels != -100).long(), labels=labels).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()

    metrics = run_tasks(ctx, ["regurgitation"])["metrics"]
    assert set(metrics) == {"regurgitation/seen", "regurgitation/unseen", "regurgitation/quoted_once",
                            "regurgitation/quoted_many"}
    assert metrics["regurgitation/quoted_many"] >= 0.8, metrics
    assert metrics["regurgitation/quoted_many"] > metrics["regurgitation/quoted_once"] + 0.3, metrics


class _InductionOracle:
    """Scripted model: at each position predicts the token that followed the previous occurrence of the current
    token (a perfect induction head), else token 0."""

    device = "cpu"

    def eval(self):
        return self

    def __call__(self, input_ids, attention_mask=None):
        import types

        import torch

        vocab = int(input_ids.max()) + 1
        logits = torch.zeros(*input_ids.shape, vocab)
        for b, row in enumerate(input_ids.tolist()):
            last_next: dict[int, int] = {}
            for t, token in enumerate(row):
                logits[b, t, last_next.get(token, 0)] = 1.0
                if t + 1 < len(row):  # later positions may look back at what followed this one
                    last_next[token] = row[t + 1]
        return types.SimpleNamespace(logits=logits)


class _FixedOffsetCopier(_InductionOracle):
    """Scripted positional head: predicts the token that followed the one ``offset`` positions back, what fixed-offset
    copy data teaches. It would pass a probe whose repeat always sits the same distance back."""

    offset = 40

    def __call__(self, input_ids, attention_mask=None):
        import types

        import torch

        logits = torch.zeros(*input_ids.shape, int(input_ids.max()) + 1)
        for b, row in enumerate(input_ids.tolist()):
            for t in range(len(row)):
                source = t - self.offset + 1
                logits[b, t, row[source] if source >= 0 else 0] = 1.0
        return types.SimpleNamespace(logits=logits)


def test_copying_probe_needs_induction_not_a_fixed_offset(tiny_model_dir):
    from transformers import AutoTokenizer

    from align.tasks.copying import copying_accuracy, copying_rows

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    rows = copying_rows(list(range(10, 500)), n=64)
    distances = {len(row) - length - lead for row, lead, length in rows}
    assert len({len(row) for row, _, _ in rows}) == 1 and len(distances) > 20  # one length, many offsets
    assert copying_accuracy(_FixedOffsetCopier(), tok, n=32)["repeat"] < 0.2


def test_copying_probe_separates_a_copier_from_a_model_that_cannot_copy(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from align.tasks.copying import copying_accuracy

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    oracle = copying_accuracy(_InductionOracle(), tok, n=8)
    assert oracle["repeat"] > 0.95 and oracle["first"] < 0.1
    untrained = copying_accuracy(AutoModelForCausalLM.from_pretrained(tiny_model_dir), tok, n=8)
    assert untrained["repeat"] < 0.1


def test_copying_probe_on_a_small_alphabet_draws_only_from_it(tiny_model_dir):
    """A curriculum's alphabet (bench/induction.py): rows short enough for 64 distinct ids, every token from them."""
    from transformers import AutoTokenizer

    from align.tasks.copying import copying_accuracy, copying_rows

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    alphabet = list(range(100, 164))
    shape = dict(total=64, segment=(8, 16), gap=(0, 16))
    rows = copying_rows(alphabet, n=16, **shape)
    assert all(len(row) == 64 and set(row) <= set(alphabet) for row, _, _ in rows)
    assert copying_accuracy(_InductionOracle(), tok, n=8, vocab=alphabet, **shape)["repeat"] > 0.95
    assert copying_accuracy(_FixedOffsetCopier(), tok, n=8, vocab=alphabet, **shape)["repeat"] < 0.3


def test_report_card_of_two_runs_has_a_column_set_per_run(tmp_path, capsys):
    """The tiny base's run and a real base's run side by side: one column per (run, model), same task rows."""
    from align.cli import main

    for run, acc in (("tiny-world", 0.05), ("smollm2", 0.6)):
        (tmp_path / run / "eval").mkdir(parents=True)
        for name in ("BASE", "SFT"):
            (tmp_path / run / "eval" / f"{name}.json").write_text(json.dumps(
                {"name": name, "model": f"runs/{run}/{name}", "metrics": {"math/multi_step": acc}}))
        (tmp_path / run / "timings.tsv").write_text("sft\t60\n")
    out = tmp_path / "both"
    code, _, err = run_cli(main, ["report", "--run", str(tmp_path / "tiny-world"), "--run", str(tmp_path / "smollm2"),
                                  "--out", str(out)], capsys)
    assert code == 0, err
    md = (out / "report.md").read_text()
    assert "| task | tiny-world BASE | tiny-world SFT | smollm2 BASE | smollm2 SFT |" in md
    assert "| math, multi-step (levels 2-4) | 5.0% | 5.0% | 60.0% | 60.0% |" in md
    assert "## tiny-world: Stage times" in md and "## smollm2: Stage times" in md


def test_every_task_name_has_its_task_and_the_cli_help_needs_no_torch():
    import subprocess
    import sys

    from align.eval.task_names import BASE_TASKS, CHAT_TASKS, QUESTION_TASKS, TASK_NAMES
    from align.tasks import ROWS, TASKS

    assert list(TASKS) == TASK_NAMES and set(BASE_TASKS + CHAT_TASKS) | QUESTION_TASKS <= set(TASK_NAMES)
    assert all(ROWS[name] for name in TASK_NAMES)  # every task shows on the report card
    # `align --help` lists the verbs without loading torch or transformers (each verb parses its own options when it
    # runs): it stays instant
    code = ("import sys; from align.cli import build_parser; build_parser().format_help(); "
            "print(sorted({'torch', 'transformers'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
