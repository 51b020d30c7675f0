"""The Hub hook every stage shares. ``StageHub(...)`` is made before the trainer is built; ``attach`` adds the
checkpoint pushes; ``finish`` (main process, after the final save) writes ``README.md`` (the card),
``recipe.yaml`` and ``align_run.json`` beside the model and, with ``push_to_hub: true``, pushes it.

align, not the Trainer, pushes: the Trainer's push writes its own card and sends every save to one branch, and
the PPO trainer is align's own. So ``push_to_hub`` is taken over (set to false on the Trainer's arguments) and
the usual keys keep their meaning: ``hub_model_id`` (default: the output dir's name in your namespace),
``hub_revision`` (the final model's branch, default ``main``), ``hub_private_repo``, ``hub_token`` (default:
``HF_TOKEN`` or ``hf auth login``), and ``hub_strategy``: ``end`` pushes the final model only; ``every_save``
(default) also pushes each checkpoint to its own branch ``checkpoint-<step>``; ``checkpoint`` and
``all_checkpoints`` add the optimizer, scheduler and RNG state to those branches, to resume from.
"""

from __future__ import annotations

import logging
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from transformers import TrainerCallback

from align.errors import first_line
from align.hub.folder import model_card, prepare_folder, staging_dir
from align.hub.push import HubError, HubRepo, checkpoint_revision
from align.hub.recipe import recipe_yaml
from align.hub.run_info import run_info_from_args
from align.hub.secrets import redact

logger = logging.getLogger(__name__)


class StageHub(TrainerCallback):
    def __init__(self, stage: str, script_args, training_args, model_args, *more_args):
        self.output_dir = Path(training_args.output_dir)
        # Before push_to_hub is turned off below: the recipe says what the user asked for.
        self.recipe = recipe_yaml(script_args, training_args, model_args, *more_args)
        self.info = run_info_from_args(stage, script_args, training_args, model_args)
        self.push = bool(training_args.push_to_hub)
        strategy = training_args.hub_strategy
        self.strategy = str(getattr(strategy, "value", strategy))
        self.hub_revision = training_args.hub_revision
        self.repo: HubRepo | None = None
        self.pending: list[tuple[str, Future]] = []
        self._executor: ThreadPoolExecutor | None = None
        if self.push:
            training_args.push_to_hub = False  # align pushes (see the module docstring); on every process
            if training_args.process_index == 0:
                repo_id = training_args.hub_model_id or self.output_dir.absolute().name
                self.repo = HubRepo(repo_id, training_args.hub_token, training_args.hub_private_repo)
                self.repo.create()  # before the first step: a bad token or a missing permission costs nothing

    def attach(self, trainer) -> None:
        """Push each checkpoint to its own revision (unless ``hub_strategy: end``)."""
        if self.repo is not None and self.strategy != "end":
            trainer.add_callback(self)

    # checkpoints: prepared at once (the checkpoint may be rotated away), uploaded in the background ----------

    def on_save(self, args, state, control, **kwargs):
        if self.repo is None or not state.is_world_process_zero:
            return
        checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if not checkpoint.is_dir():
            return
        revision = checkpoint_revision(state.global_step, self.hub_revision)
        staging = staging_dir(self.output_dir, revision)
        try:
            prepare_folder(checkpoint, staging, repo_id=self.repo.repo_id, revision=revision, info=self.info,
                           recipe=self.recipe, resume_state=self.strategy in ("checkpoint", "all_checkpoints"))
        except Exception as err:  # a checkpoint that cannot be published must not stop training
            shutil.rmtree(staging, ignore_errors=True)
            logger.warning("checkpoint %s not pushed: %s", revision, redact(first_line(err)))
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="align-hub")
        message = f"{self.info.stage or 'align'}: checkpoint at step {state.global_step}"
        self.pending.append((revision, self._executor.submit(self._upload, staging, revision, message)))

    def _upload(self, staging: Path, revision: str, message: str) -> str | None:
        try:
            return self.repo.upload(staging, revision, message)
        except Exception as err:  # logged now, masked; training goes on
            logger.warning("checkpoint push %s failed: %s", revision,
                           str(err) if isinstance(err, HubError) else redact(first_line(err)))
            return None
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def wait(self) -> list[str]:
        """Wait for the checkpoint uploads; returns the revisions pushed (failures were logged, masked)."""
        pushed = [revision for revision, future in self.pending if future.result() is not None]
        self.pending.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        return pushed

    # the final model ----------------------------------------------------------------------------------------

    def finish(self) -> str | None:
        """Write the card, ``recipe.yaml`` and ``align_run.json`` into the output dir; push it (its revision is
        ``hub_revision`` or ``main``) when ``push_to_hub`` was on. Returns the repo id pushed to."""
        out = self.output_dir
        (out / "recipe.yaml").write_text(self.recipe, encoding="utf-8")
        self.info.save(out)
        try:
            card, _ = model_card(out, info=self.info, recipe=self.recipe,
                                 repo_id=self.repo.repo_id if self.repo else None, revision=self.hub_revision)
            (out / "README.md").write_text(str(card), encoding="utf-8")
        except Exception as err:  # the model is saved; a card that cannot be written is not worth failing the run
            if self.repo is not None:
                raise
            logger.warning("model card not written: %s", redact(first_line(err)))
        if self.repo is None:
            return None
        pushed = self.wait()
        if pushed:
            logger.info("checkpoints pushed to %s: %s", self.repo.repo_id, ", ".join(pushed))
        revision = self.hub_revision or "main"
        staging = staging_dir(out, revision)
        try:
            prepare_folder(out, staging, repo_id=self.repo.repo_id, revision=revision, info=self.info,
                           recipe=self.recipe)
            self.repo.upload(staging, revision, f"{self.info.stage or 'align'}: final model")
        except HubError as err:
            raise HubError(f"{err} (the model is saved in {out}; push it later with `align push --model {out} "
                           f"--repo_id {self.repo.repo_id}`)") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        # recorded once pushed: a later stage started from this dir names it as its base model on the Hub
        self.info.hub = {"repo_id": self.repo.repo_id, "revision": revision}
        self.info.save(out)
        return self.repo.repo_id
