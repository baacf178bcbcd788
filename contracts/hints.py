"""What a partner did wrong when a whole file fails: another delimiter, another encoding.

A semicolon-separated file reads as one column and so reports every required column missing;
a Latin-1 or UTF-16 file reports a byte that is not UTF-8. Both are true but do not say what
to fix, so the messages gain a hint naming the likely cause and the contract's rule.
"""

from __future__ import annotations

from contracts.fields import CONTRACT

# Delimiters partners' tools use instead of the contract's comma, and how people call them.
OTHER_DELIMITERS: dict[str, str] = {";": "semicolon", "\t": "tab", "|": "pipe"}
UTF16_BOMS: dict[bytes, str] = {b"\xff\xfe": "little-endian", b"\xfe\xff": "big-endian"}
UTF32_BOMS: dict[bytes, str] = {
    b"\xff\xfe\x00\x00": "little-endian",
    b"\x00\x00\xfe\xff": "big-endian",
}
MUST_BE_UTF8 = "partner files must be UTF-8 (save or export the file as UTF-8)"
UTF16_WITHOUT_BOM = f"it looks like UTF-16 (a NUL byte beside every character); {MUST_BE_UTF8}"


def delimiter_hint(kind: str, columns: tuple[str, ...] | list[str]) -> str | None:
    """Why the header's columns are not the contract's: a header field that splits on another
    delimiter into known column names of ``kind`` (two of them, or one when that field is the
    whole header), else None."""
    known = {f.name for f in CONTRACT[kind]}
    best: tuple[int, str, int] | None = None  # (known names, delimiter, columns when split)
    for column in columns:
        for delimiter in OTHER_DELIMITERS:
            if delimiter not in column:
                continue
            parts = [p.strip().strip('"').strip().lower() for p in column.split(delimiter)]
            hits = sum(p in known for p in parts)
            plausible = hits >= 2 or (hits == 1 and len(columns) == 1)
            if plausible and (best is None or hits > best[0]):
                best = (hits, delimiter, len(parts))
    if best is None:
        return None
    _, delimiter, width = best
    return (
        f"the header looks {OTHER_DELIMITERS[delimiter]}-separated ({width} columns when split "
        f"on {delimiter!r}); partner files must be comma-separated"
    )


def encoding_hint(raw: bytes, position: int) -> str:
    """Which encoding a line that is not UTF-8 looks like (``position``: its first bad byte),
    and the contract's rule."""
    for bom, order in UTF32_BOMS.items():
        if raw.startswith(bom):
            return (
                f"it looks like UTF-32 ({order}: it starts with a byte-order mark); {MUST_BE_UTF8}"
            )
    for bom, order in UTF16_BOMS.items():
        if raw.startswith(bom):
            return (
                f"it looks like UTF-16 ({order}: it starts with the byte-order mark "
                f"{bom.hex(' ').upper()}); {MUST_BE_UTF8}"
            )
    if utf16_without_bom(raw.decode("latin-1")):
        return UTF16_WITHOUT_BOM
    byte = raw[position : position + 1]
    shown = byte.decode("cp1252", errors="replace").replace("\ufffd", "") or byte.decode("latin-1")
    return (
        f"it looks like Latin-1 / Windows-1252 (byte 0x{byte.hex().upper()} is {shown!r} there); "
        f"{MUST_BE_UTF8}"
    )


def utf16_without_bom(text: str) -> bool:
    """Half the characters are NUL: ASCII text written as UTF-16 without a byte-order mark."""
    sample = text[:200]
    return len(sample) >= 4 and sample.count("\x00") * 2 >= len(sample) - 1
