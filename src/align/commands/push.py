"""`align push --model DIR --repo_id ID`: publish a model dir (a stage's output, or one checkpoint of it) to the
Hub with a generated model card; `--dry_run OUT` only writes the folder that would be uploaded."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from align.cli_options import add_verb, option


@dataclass
class PushOptions:
    model: str = option(help="model dir: a stage's output_dir or a checkpoint-N in it")
    repo_id: str = option(help="Hub repo, 'name' (your namespace) or 'owner/name'")
    revision: str | None = option(None, "branch to push to (default: main; checkpoint-N for a checkpoint dir)")
    private: bool = option(False, "create the repo private")
    dry_run: str | None = option(None, "write the folder that would be uploaded to OUT_DIR and stop (no network)",
                                 metavar="OUT_DIR")
    base_model: str | None = option(None, "Hub id of the base model, for the card's metadata (when the run used a "
                                          "local dir)")
    license: str | None = option(None, "license id for the card's metadata (e.g. apache-2.0)")
    eval: list[str] | None = option(None, "`align eval` results for the card (default: the run's eval/*.json naming "
                                          "this model)", metavar="JSON")


def register(subparsers) -> None:
    add_verb(subparsers, "push", PushOptions, _push, help="publish a model dir to the Hub with a generated model card")


def _push(args) -> int:
    import shutil
    from pathlib import Path

    from align.hub.folder import check_model_dir, checkpoint_step, prepare_folder, staging_dir
    from align.hub.push import HubRepo, checkpoint_revision
    from align.hub.run_info import RunInfo

    model = Path(args.model)
    check_model_dir(model)
    step = checkpoint_step(model)
    revision = args.revision or (checkpoint_revision(step) if step is not None else "main")
    options = dict(base_model=args.base_model, license=args.license, eval_files=args.eval)
    if args.dry_run:
        out = prepare_folder(model, args.dry_run, repo_id=args.repo_id, revision=revision, **options)
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            sys.stdout.write(f"{path.stat().st_size:>12,}  {path.relative_to(out)}\n")
        sys.stdout.write(f"(dry run: would push {out} to {args.repo_id}@{revision})\n")
        return 0
    repo = HubRepo(args.repo_id, private=args.private or None)
    repo_id = repo.create()
    staging = staging_dir(model, revision)
    try:
        prepare_folder(model, staging, repo_id=repo_id, revision=revision, **options)
        repo.upload(staging, revision, f"align push {model.name}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    info = RunInfo.load(model)
    if info is not None:  # a later stage that starts from this dir records it as its base model on the Hub
        info.hub = {"repo_id": repo_id, "revision": revision}
        info.save(model)
    sys.stdout.write(f"pushed https://huggingface.co/{repo_id}/tree/{revision}\n")
    return 0
