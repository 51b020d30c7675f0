"""Uploading a prepared folder with ``huggingface_hub.HfApi``: the repo, a branch per revision, one commit that
makes the revision exactly the folder. Errors come back as one line with any token masked."""

from __future__ import annotations

import contextlib
import logging

from align.errors import UserError, first_line
from align.hub.secrets import hub_token, redact

logger = logging.getLogger(__name__)


class HubError(UserError):
    """A failed Hub call, its message redacted."""


@contextlib.contextmanager
def masked_errors(what: str, token: str | None = None):
    """Turn any exception from a Hub call into :class:`HubError` with tokens masked and the original exception
    (whose message, arguments or traceback may hold the token) dropped."""
    try:
        yield
    except HubError:
        raise
    except Exception as err:  # noqa: BLE001 - any failure of the network boundary
        message = redact(f"{what}: {type(err).__name__}: {first_line(err)}", (token,))
        raise HubError(message) from None


def checkpoint_revision(step: int, hub_revision: str | None = None) -> str:
    """The branch of checkpoint ``step``: ``checkpoint-500`` (``<hub_revision>-checkpoint-500`` with one set)."""
    name = f"checkpoint-{step}"
    return f"{hub_revision}-{name}" if hub_revision and hub_revision != "main" else name


class HubRepo:
    """One model repo on the Hub. ``token``: ``hub_token`` if set, else ``HF_TOKEN`` / ``hf auth login``'s."""

    def __init__(self, repo_id: str, token: str | None = None, private: bool | None = None):
        from huggingface_hub import HfApi

        self.token = hub_token(token)
        if not self.token:
            raise UserError("no Hugging Face token: set HF_TOKEN or run `hf auth login` (or set hub_token)")
        self.requested_id, self.private = repo_id, private
        self.repo_id: str | None = None
        self.api = HfApi(token=self.token)

    def create(self) -> str:
        """Create the repo if needed (a bare name goes to the token's namespace); returns its full id."""
        if self.repo_id is None:
            with masked_errors(f"create repo {self.requested_id}", self.token):
                url = self.api.create_repo(self.requested_id, private=self.private, exist_ok=True, repo_type="model")
            self.repo_id = getattr(url, "repo_id", None) or self.requested_id
        return self.repo_id

    def upload(self, folder, revision: str | None = None, commit_message: str = "Upload with align") -> str:
        """Upload ``folder`` as ``revision`` (a branch, created from ``main`` if missing): files not in the folder
        are deleted from that revision, so it holds this model only. Returns the revision."""
        repo_id = self.create()
        revision = revision or "main"
        if revision != "main":
            with masked_errors(f"create branch {revision} of {repo_id}", self.token):
                self.api.create_branch(repo_id, branch=revision, exist_ok=True, repo_type="model")
        logger.info("pushing %s to %s (revision %s)", folder, repo_id, revision)
        with masked_errors(f"upload to {repo_id}@{revision}", self.token):
            self.api.upload_folder(repo_id=repo_id, folder_path=str(folder), revision=revision, repo_type="model",
                                   commit_message=commit_message, delete_patterns="*")
        logger.info("pushed https://huggingface.co/%s/tree/%s", repo_id, revision)
        return revision
