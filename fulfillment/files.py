"""Safe partner files: atomic writes, formula-neutral CSV, node ids turned into file names.

Partners poll the outbox and open CSVs in spreadsheets, so a file must never be seen half
written, a cell must never run as a formula, and no id may act as a path.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from pathlib import Path

import polars as pl

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FILE_MODE = 0o644  # partners read the outbox as other users
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
MAX_NAME = 100


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a hidden temp file in the same folder, fsync, then ``os.replace`` into place.

    The rename is atomic on one file system, so readers see the old file or the whole new one;
    the temp name starts with a dot and ends in ``.tmp`` so partner globs never match it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, FILE_MODE)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_file(path: Path, data: bytes) -> None:
    """Write a file that no one reads yet (inside a partial folder), durably, 0644."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(path, FILE_MODE)


def fsync_tree(folder: Path) -> None:
    """Make every folder entry below ``folder`` durable before it is renamed into place."""
    for sub in sorted({p.parent for p in folder.rglob("*")} | {folder}):
        fsync_dir(sub)


def fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every platform opens folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with ``'``.

    Only String columns are touched: a negative number stays a number.
    """
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    exprs = []
    for name in text:
        col = pl.col(name)
        starts = col.str.slice(0, 1).is_in(list(FORMULA_PREFIXES)).fill_null(False)
        exprs.append(pl.when(starts).then(pl.lit("'") + col).otherwise(col).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """UTF-8 CSV with a header row, text cells neutralised against formula injection."""
    return neutralise_formulas(frame).write_csv().encode("utf-8")


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def safe_filename(identifier: str) -> str:
    """A file-name stem for an id: only ``[A-Za-z0-9._-]``, no leading dot, bounded length.

    An id that had to change gets ``-<hash of the original>`` appended, so ``a/b`` and
    ``a_b`` (or ``a:b``) never end up in the same file.
    """
    stem = _UNSAFE.sub("_", identifier)[:MAX_NAME]
    if stem.startswith("."):
        stem = "_" + stem[1:]
    if stem != identifier or not stem:
        stem = f"{stem}-{short_hash(identifier)}"
    return stem


def unique_filenames(identifiers: list[str]) -> dict[str, str]:
    """Safe names for many ids, unique even on case-insensitive file systems.

    Clean ids are named first, so a sanitised id can never take a clean id's name.
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    ordered = sorted(set(identifiers), key=lambda i: (safe_filename(i) != i, i))
    for identifier in ordered:
        name = safe_filename(identifier)
        if name.lower() in taken:
            name = f"{name}-{short_hash(identifier)}"
        if name.lower() in taken:  # only a deliberate clash can get here
            raise ValueError(f"cannot give node id {identifier!r} a unique file name")
        taken.add(name.lower())
        names[identifier] = name
    return names
