"""Load any text dataset: a Hub id, a saved dataset dir, a dir of files, or jsonl/json/parquet/txt files, compressed
or not (``.jsonl.gz``, ``.txt.bz2``, ``.json.xz``, ``.zst``…: ``datasets`` reads them as they are)."""

from __future__ import annotations

import glob
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from align.errors import UserError, first_line

logger = logging.getLogger(__name__)

BUILDER_BY_SUFFIX = {
    ".jsonl": "json",
    ".json": "json",
    ".parquet": "parquet",
    ".txt": "text",
    ".text": "text",
    ".csv": "csv",
}


def compression_suffix(path: str | os.PathLike) -> str:
    """The compression suffix ``datasets`` decompresses by itself (``.gz``, ``.bz2``, ``.xz``, ``.zst``, ``.lz4``), or
    ``""``."""
    from datasets.utils.file_utils import SINGLE_FILE_COMPRESSION_EXTENSION_TO_PROTOCOL

    suffix = Path(path).suffix.lower()
    return suffix if suffix.lstrip(".") in SINGLE_FILE_COMPRESSION_EXTENSION_TO_PROTOCOL else ""


def data_format(path: str | os.PathLike) -> str:
    """A data file's format suffix, compression aside: ``.jsonl`` for ``x.jsonl.gz``; ``""`` when it is not one of
    ``BUILDER_BY_SUFFIX``."""
    path = Path(path)
    if compression_suffix(path):
        path = path.with_suffix("")
    suffix = path.suffix.lower()
    return suffix if suffix in BUILDER_BY_SUFFIX else ""


def _looks_local(spec: str) -> bool:
    return (
        os.path.exists(spec)
        or spec.startswith((".", "/", "~"))
        or any(ch in spec for ch in "*?[")
        or bool(data_format(spec))
    )


def _data_files(spec: str) -> list[str]:
    path = Path(os.path.expanduser(spec))
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and data_format(p))
        return [str(p) for p in files]
    return sorted(f for f in glob.glob(os.path.expanduser(spec), recursive=True) if os.path.isfile(f))


def _load_local(spec: str, split: str):
    import datasets

    path = Path(os.path.expanduser(spec))
    if path.is_dir() and ((path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists()):
        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise UserError(f"{spec}: no split {split!r} (has {', '.join(loaded)})")
            loaded = loaded[split]
        return loaded
    files = _data_files(spec)
    if not files:
        raise UserError(f"{spec}: no such file or directory, or no .jsonl/.json/.parquet/.txt/.csv files in it "
                        "(compressed or not)")
    unknown = [f for f in files if not data_format(f)]
    if unknown:
        raise UserError(f"{unknown[0]}: not a data file this loader reads (.jsonl/.json/.parquet/.txt/.csv, "
                        "optionally compressed: .gz/.bz2/.xz/.zst)")
    builders = {BUILDER_BY_SUFFIX[data_format(f)] for f in files}
    if len(builders) > 1:
        kinds = sorted({data_format(f) + compression_suffix(f) for f in files})
        raise UserError(f"{spec}: mixes file formats {kinds}; point at one kind of file")
    builder = builders.pop()
    try:
        return datasets.load_dataset(builder, data_files=files, split="train")
    except Exception as err:  # malformed jsonl/parquet: name the file, not the stack
        raise UserError(f"{spec}: could not read as {builder}: {first_line(err)}") from err


def load_text_dataset(spec: str, text_field: str = "text", split: str = "train", name: str | None = None):
    """Return a ``datasets.Dataset`` whose ``text_field`` column holds non-empty strings.

    Fails with a :class:`UserError` naming the dataset, row and field when the data is unusable.
    """
    import datasets

    if _looks_local(spec):
        dataset = _load_local(spec, split)
    else:
        try:
            dataset = datasets.load_dataset(spec, name, split=split)
        except Exception as err:
            raise UserError(
                f"{spec}: not a local path, and loading it from the Hub failed: {first_line(err)}"
            ) from err
    validate_text_column(dataset, spec, text_field)
    return dataset


def validate_text_column(dataset, source: str, text_field: str) -> None:
    """Raise a :class:`UserError` for an empty dataset, a missing column or a non-string row."""
    if len(dataset) == 0:
        raise UserError(f"{source}: the dataset is empty")
    if text_field not in dataset.column_names:
        raise UserError(
            f"{source}: no {text_field!r} column (columns: {', '.join(dataset.column_names)}); "
            f"set the text field option to the right column"
        )
    feature = dataset.features[text_field]
    if getattr(feature, "dtype", None) not in ("string", "large_string"):
        raise UserError(f"{source}: field {text_field!r} holds {feature}, expected text")
    column = dataset.data.column(text_field)
    if column.null_count:
        import pyarrow.compute as pc

        index = pc.index(pc.is_null(column), True).as_py()
        raise UserError(f"{source}: row {index + 1}: field {text_field!r} is missing")
    logger.info("loaded %d documents from %s", len(dataset), source)


def split_holdout(dataset, fraction: float, max_rows: int, seed: int):
    """Hold out a seeded random ``fraction`` of rows (at most ``max_rows``); returns (train, held-out or None)."""
    n_eval = min(max_rows, int(round(len(dataset) * fraction)))
    if n_eval == 0 or len(dataset) < 2:
        return dataset, None
    parts = dataset.train_test_split(test_size=n_eval, seed=seed, shuffle=True)
    return parts["train"], parts["test"]


HELDOUT_SPLIT_FILE = "heldout_split.json"


@dataclass(frozen=True)
class HeldoutSplit:
    """How pretraining held documents out. The pretraining stage writes it into the base model dir, and evaluation
    reads it back, so "held-out" bits per byte are measured on documents the model never trained on whatever split a
    recipe chose (``recipes/llama-d12`` holds out 0.5%, at most 2000)."""

    fraction: float = 0.02
    max_documents: int = 1000
    seed: int = 0

    def apply(self, dataset):
        """(train, held-out or None), as :func:`split_holdout`."""
        return split_holdout(dataset, self.fraction, self.max_documents, self.seed)

    def save(self, directory: str | os.PathLike) -> None:
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / HELDOUT_SPLIT_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, path: str | os.PathLike) -> HeldoutSplit | None:
        """The split recorded in a model dir (or the file itself); None when there is none."""
        path = Path(path)
        file = path / HELDOUT_SPLIT_FILE if path.is_dir() else path
        if not file.is_file():
            return None
        try:
            return cls(**json.loads(file.read_text()))
        except (ValueError, TypeError) as e:
            raise UserError(f"{file}: not a held-out split ({first_line(e)}); expected keys fraction, "
                            "max_documents, seed") from None
