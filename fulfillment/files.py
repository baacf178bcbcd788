"""Safe partner files: atomic writes, formula-neutral CSV, names turned into file names.

Partners poll the outbox and open CSVs in spreadsheets, so a file must never be seen half
written, a cell must never run as a formula, no id may act as a path, and every file name
must open on Windows as on POSIX.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from contracts.money import CSV_MONEY_DECIMALS, MONEY_COLUMNS

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FILE_MODE = 0o644  # partners read the outbox as other users


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


def in_cents(frame: pl.DataFrame, group: str = "parcel_id") -> pl.DataFrame:
    """Money columns (``MONEY_COLUMNS``) rounded to the cent. Along each ``group`` (a parcel's
    rows, in file order) the rounding is carried: each row gets the cents its running total
    gains, so a parcel's rounded shares add up to its rounded cost. Rows outside a group are
    rounded on their own."""
    money = [c for c in frame.columns if c in MONEY_COLUMNS]
    if not money:
        return frame
    grouped = pl.col(group).is_not_null() if group in frame.columns else pl.lit(False)
    exprs = []
    for name in money:
        alone = pl.col(name).round(CSV_MONEY_DECIMALS)
        if group in frame.columns:
            running = pl.col(name).fill_null(0.0).cum_sum().over(group)
            running = running.round(CSV_MONEY_DECIMALS)
            carried = running - running.shift(1, fill_value=0.0).over(group)
            alone = pl.when(grouped & pl.col(name).is_not_null()).then(carried).otherwise(alone)
        exprs.append(alone.round(CSV_MONEY_DECIMALS).alias(name))
    return frame.with_columns(exprs)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """UTF-8 CSV with a header row, text cells neutralised against formula injection, money in
    cents (Parquet keeps full precision)."""
    return neutralise_formulas(in_cents(frame)).write_csv().encode("utf-8")


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


RESERVED_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{port}{n}" for port in ("COM", "LPT") for n in range(10)}
)
MAX_STEM_BYTES = 200  # a suffix (.parquet) and a folder still fit every file system's limit
HASH_DIGITS = 12
_KEEP = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def _escape(byte: int) -> str:
    return f"%{byte:02X}"


def _hashed(stem: str, digest: str) -> str:
    """``stem`` cut to fit (never inside a ``%XX``) plus ``~`` and ``digest``: a name that
    cannot be percent-decoded back (``~`` is always escaped otherwise), so it cannot collide
    with one that can."""
    cut = stem[: MAX_STEM_BYTES - 1 - len(digest)]
    escape = cut.rfind("%", len(cut) - 2)
    return f"{cut[:escape] if escape >= 0 else cut}~{digest}"


def _name_bytes(name: str) -> tuple[bytes, bytes]:
    """(the name's bytes, a hash salt): UTF-8 with surrogate escapes as the bytes they stand
    for; a lone surrogate no file system gave is passed through and salted (always hashed)."""
    try:
        return name.encode("utf-8", "surrogateescape"), b""
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogatepass"), b"surrogatepass:"


def safe_file_stem(name: str) -> str:
    """A file-name stem for any name (a node id, a partner's file name) that Windows and POSIX
    both accept, that decodes back to the name and that no other name gets.

    Percent-encoding (``%XX``, upper-case hex of the UTF-8 bytes; bytes a partner's file name
    had that are not UTF-8 arrive as surrogate escapes and are encoded as themselves): every
    byte outside ``[A-Za-z0-9._-]`` (so ``%`` too), a leading or trailing ``.`` (hidden on
    POSIX, dropped by Windows) and the first letter of a Windows device name (``CON``,
    ``con.txt``: ``%43ON``, ``%63on.txt``). ``urllib.parse.unquote_to_bytes(stem).decode(
    "utf-8", "surrogateescape")`` gives the name back. A stem over 200 bytes is cut and ends
    in ``~`` and 12 hex digits of the name's sha256 instead (two long names never share one).
    """
    if not name:
        raise ValueError("an empty name cannot be a file name")
    raw, salt = _name_bytes(name)
    parts = [chr(b) if b in _KEEP else _escape(b) for b in raw]
    if raw.split(b".", 1)[0].upper().decode("ascii", "replace") in RESERVED_DEVICES:
        parts[0] = _escape(raw[0])
    for edge in (0, -1):
        if parts[edge] == ".":
            parts[edge] = _escape(raw[edge])
    stem = "".join(parts)
    if len(stem) > MAX_STEM_BYTES or salt:
        return _hashed(stem, hashlib.sha256(salt + raw).hexdigest()[:HASH_DIGITS])
    return stem


def unique_filenames(names: list[str], taken: Iterable[str] = ()) -> dict[str, str]:
    """``safe_file_stem`` of each name, unique even on case-insensitive file systems (Windows,
    macOS) and apart from the ``taken`` stems: of names that differ only in letter case the
    first in sorted order keeps its stem, the others get the hashed form."""
    used = {stem.lower() for stem in taken}
    stems: dict[str, str] = {}
    for name in sorted(set(names)):
        stem = safe_file_stem(name)
        if stem.lower() in used:
            raw, salt = _name_bytes(name)
            digest = hashlib.sha256(b"case:" + salt + raw).hexdigest()[:HASH_DIGITS]
            stem = _hashed(stem, digest)
        if stem.lower() in used:  # only a sha256 collision can get here
            raise ValueError(f"cannot give {name!r} a unique file name")
        used.add(stem.lower())
        stems[name] = stem
    return stems
