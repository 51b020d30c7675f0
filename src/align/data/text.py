"""Load any text dataset: a Hub id, a saved dataset dir, a dir of files, or jsonl/json/parquet/txt files."""

from __future__ import annotations

import glob
import logging
import os
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


def _looks_local(spec: str) -> bool:
    return (
        os.path.exists(spec)
        or spec.startswith((".", "/", "~"))
        or any(ch in spec for ch in "*?[")
        or Path(spec).suffix in BUILDER_BY_SUFFIX
    )


def _data_files(spec: str) -> list[str]:
    path = Path(os.path.expanduser(spec))
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in BUILDER_BY_SUFFIX)
        return [str(p) for p in files]
    return sorted(glob.glob(os.path.expanduser(spec), recursive=True))


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
        raise UserError(f"{spec}: no such file or directory, or no .jsonl/.json/.parquet/.txt/.csv files in it")
    suffixes = {Path(f).suffix for f in files}
    builders = {BUILDER_BY_SUFFIX[s] for s in suffixes}
    if len(builders) > 1:
        raise UserError(f"{spec}: mixes file formats {sorted(suffixes)}; point at one kind of file")
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
        raise UserError(f"{source}: row {index}: field {text_field!r} is missing")
    logger.info("loaded %d documents from %s", len(dataset), source)
