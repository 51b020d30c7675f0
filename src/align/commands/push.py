"""`align push --model DIR --repo-id ID`: publish a model dir (a stage's output, or one checkpoint of it) to the
Hub with a generated model card; `--dry-run OUT` only writes the folder that would be uploaded."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("push", help="publish a model dir to the Hub with a generated model card")
    parser.add_argument("--model", required=True, help="model dir: a stage's output_dir or a checkpoint-N in it")
    parser.add_argument("--repo-id", required=True, help="Hub repo, 'name' (your namespace) or 'owner/name'")
    parser.add_argument("--revision", default=None,
                        help="branch to push to (default: main; checkpoint-N for a checkpoint dir)")
    parser.add_argument("--private", action="store_true", help="create the repo private")
    parser.add_argument("--dry-run", metavar="OUT_DIR", default=None,
                        help="write the folder that would be uploaded to OUT_DIR and stop (no network)")
    parser.add_argument("--base-model", default=None,
                        help="Hub id of the base model, for the card's metadata (when the run used a local dir)")
    parser.add_argument("--license", default=None, help="license id for the card's metadata (e.g. apache-2.0)")
    parser.add_argument("--eval", nargs="+", default=None, metavar="JSON",
                        help="`align eval` results for the card (default: the run's eval/*.json naming this model)")
    parser.set_defaults(func=_push)


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
