"""Reading tables without geometry — CSV/TXT/TSV and Excel — as a clerk's office saves them.

Text files: the encoding is detected (a byte-order mark for UTF-8/UTF-16/UTF-32, UTF-16 without
one as Excel's "Unicode text" writes it, then UTF-8, then GB18030 — the superset of GBK/GB2312
that Chinese Windows uses — accepted only when the result reads as text), and the delimiter is
sniffed (``,`` ``;`` tab ``|``). Excel workbooks (.xlsx, .xls) are read directly, also when they
were saved with a .csv name. Title rows above the header (one filled cell) are skipped. Binary
files, GeoPackages and zip archives get a clear refusal instead of a decoding error.

Rows keep the number a spreadsheet shows for them (the header is row 1 when it is the first
line), so every message can name the rows it is about.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planning.base.errors import PlanningError, error_reason, warning_text

TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
DELIMITERS = (",", "\t", ";", "|")
_DELIMITER_NAMES = {",": ",", "\t": "Tab", ";": ";", "|": "|"}
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 compound file: Excel 97–2003
_SQLITE_MAGIC = b"SQLite format 3\x00"  # a GeoPackage
_ZIP_MAGIC = b"PK\x03\x04"
_LEADING_ZERO = re.compile(r"^[+-]?0\d")


@dataclass
class Table:
    """A table read from a file.

    Attributes
    ----------
    frame
        The rows; the index is the row number a spreadsheet shows (header = row 1 when it
        is the first line). Blank cells are missing values; columns whose every filled
        cell is a number are numeric, unless a value has a leading zero (codes like 001).
    notes
        (zh, en) notices: encoding or format detected, sheet chosen, title rows skipped.
    encoding, delimiter, sheet
        What was detected (None where it does not apply).
    """

    frame: pd.DataFrame
    notes: list[tuple[str, str]] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


def read_table(path: str | Path, sheet: str | None = None) -> Table:
    """Read a CSV/TXT/TSV or Excel table (see the module text for what is detected).

    ``sheet`` names the sheet of a workbook to read (default: the first with data, and a
    notice naming the others); it is ignored for text files.

    Raises
    ------
    PlanningError
        Missing or empty file, binary data, a GeoPackage or zip archive, an encoding that is
        none of UTF-8/UTF-16/GB18030, a damaged workbook, a sheet it does not have, or no rows
        below the header.
    """
    path = Path(path)
    if not path.is_file():
        raise PlanningError("file_not_found", path=path.name)
    data = path.read_bytes()
    if not data.strip():
        raise PlanningError("file_empty", path=path.name)
    kind = sniff_kind(data)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls") and kind not in ("xlsx", "xls"):
        raise PlanningError("table_excel_unreadable", path=path.name, reason=f"not a workbook: {kind}")
    if kind in ("xlsx", "xls"):
        table = _read_excel(path, kind, sheet)
        if path.suffix.lower() not in (".xlsx", ".xlsm", ".xls"):
            table.notes.insert(0, warning_text("table_is_excel", path=path.name))
    elif kind == "text":
        table = _read_text(path, data)
    else:
        raise PlanningError(f"table_is_{kind}", path=path.name)
    return table


def sniff_kind(data: bytes) -> str:
    """``xlsx``, ``xls``, ``gpkg``, ``zip``, ``binary`` or ``text`` from a file's first bytes."""
    if data.startswith(_XLS_MAGIC):
        return "xls"
    if data.startswith(_SQLITE_MAGIC):
        return "gpkg"
    if data.startswith(_ZIP_MAGIC):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return "binary"
        return "xlsx" if any(n.startswith("xl/") for n in names) else "zip"
    if any(data.startswith(bom) for bom, _ in _BOMS) or _utf16_without_bom(data):
        return "text"
    head = data[:65536]
    if b"\x00" in head:
        return "binary"
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13, 26))
    return "binary" if controls > max(2, len(head) // 200) else "text"


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when every other byte is zero, as in UTF-16 text of mostly ASCII."""
    head = data[:4096]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding) of a text file: BOM, UTF-16 without BOM, UTF-8, GB18030 (checked to read as text)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    else:
        bare_utf16 = _utf16_without_bom(data)
        candidates = ([bare_utf16] if bare_utf16 else []) + ["utf-8", "gb18030"]
        for encoding in candidates:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if looks_like_text(text):
                return text, encoding
    raise PlanningError("table_encoding_unknown", path=name)


def looks_like_text(text: str) -> bool:
    """True when nearly every character is printable ASCII, whitespace, CJK or common punctuation.

    GB18030 decodes almost any bytes; this tells Chinese text from bytes of another encoding.
    """
    if not text:
        return True
    sample = text[:20000]
    odd = sum(1 for ch in sample if not _ordinary(ch))
    return odd <= max(2, len(sample) // 100)


def _ordinary(ch: str) -> bool:
    code = ord(ch)
    return (32 <= code < 127 or ch in "\t\r\n\f\x1a" or 0x4E00 <= code <= 0x9FFF or 0x3000 <= code <= 0x303F
            or 0xFF00 <= code <= 0xFFEF or 0x2000 <= code <= 0x206F or 0xA0 <= code <= 0x17F
            or 0x3400 <= code <= 0x4DBF or code in (0xB0, 0xBA, 0x2032, 0x2033, 0xFEFF) or 0x2100 <= code <= 0x21FF)


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the first lines most consistently (``,`` wins ties)."""
    lines = [line for line in lines if line.strip()][:50]
    best, best_score = ",", 0.0
    for delimiter in DELIMITERS:
        counts = [len(next(csv.reader([line], delimiter=delimiter), [])) - 1 for line in lines]
        filled = [c for c in counts if c > 0]
        if not filled:
            continue
        common = max(set(filled), key=filled.count)
        score = filled.count(common) / len(counts) + 1e-3 * common
        if score > best_score + 1e-9:
            best, best_score = delimiter, score
    return best


def _read_text(path: Path, data: bytes) -> Table:
    text, encoding = decode_text(data, path.name)
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    delimiter = sniff_delimiter(lines)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    table = _frame(rows, path.name)
    table.encoding, table.delimiter = encoding, delimiter
    if encoding not in ("utf-8", "utf-8-sig") or delimiter != ",":
        table.notes.insert(0, warning_text("table_read_as", path=path.name, encoding=encoding.upper(),
                                           delimiter=_DELIMITER_NAMES[delimiter]))
    return table


def _sheets(path: Path, kind: str) -> dict:
    engine = "xlrd" if kind == "xls" else "openpyxl"
    try:
        return pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine=engine)
    except Exception as exc:  # a damaged workbook, or its reader missing: the reader's own reason
        raise PlanningError("table_excel_unreadable", path=path.name, reason=error_reason(exc)) from None


def sheet_names(path: str | Path) -> list[str]:
    """The sheets of a workbook that hold any data (what ``read_table(path, sheet)`` may be asked for)."""
    path = Path(path)
    kind = sniff_kind(path.read_bytes())
    if kind not in ("xlsx", "xls"):
        return []
    return [str(name) for name, frame in _sheets(path, kind).items() if frame.notna().any().any()]


def _read_excel(path: Path, kind: str, chosen: str | None = None) -> Table:
    sheets = _sheets(path, kind)
    filled = {name: sheet for name, sheet in sheets.items() if sheet.notna().any().any()}
    if chosen is not None:
        if chosen not in sheets:
            raise PlanningError("layer_not_found", path=path.name, layer=chosen, layers="、".join(map(str, sheets)))
        filled = {chosen: sheets[chosen]}
    if not filled:
        raise PlanningError("layer_no_features", path=path.name)
    name, sheet = next(iter(filled.items()))
    rows = [[_cell_text(v) for v in row] for row in sheet.itertuples(index=False)]
    table = _frame(rows, path.name)
    table.sheet = str(name)
    if len(filled) > 1:
        table.notes.append(warning_text("table_sheet_chosen", path=path.name, sheet=name,
                                        others="、".join(map(str, list(filled)[1:]))))
    return table


def _cell_text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _frame(rows: list[list[str]], name: str) -> Table:
    """Header = the first row with two or more filled cells; rows below it, numbered as in the file."""
    filled = [sum(1 for cell in row if str(cell).strip()) for row in rows]
    header_at = next((i for i, n in enumerate(filled) if n >= 2), None)
    if header_at is None:
        header_at = next((i for i, n in enumerate(filled) if n >= 1), None)
    if header_at is None:
        raise PlanningError("file_empty", path=name)
    width = max(len(row) for row in rows[header_at:])
    header = _column_names(rows[header_at], width)
    body = [(i + 1, row + [""] * (width - len(row))) for i, row in enumerate(rows) if i > header_at]
    body = [(number, row) for number, row in body if any(str(cell).strip() for cell in row)]
    if not body:
        raise PlanningError("layer_no_features", path=name)
    frame = pd.DataFrame([row for _, row in body], columns=header, index=pd.Index([n for n, _ in body], name="row"))
    frame = frame.loc[:, [c for c in frame.columns if not (str(c).startswith("_unnamed") and
                                                            not frame[c].str.strip().any())]]
    table = Table(_typed(frame))
    if header_at:
        table.notes.append(warning_text("table_title_rows_skipped", path=name, n=header_at, row=header_at + 1))
    return table


def _column_names(cells: list[str], width: int) -> list[str]:
    names, seen = [], set()
    for i in range(width):
        name = str(cells[i]).strip() if i < len(cells) else ""
        name = name or f"_unnamed{i + 1}"
        base, k = name, 2
        while name in seen:
            name, k = f"{base}_{k}", k + 1
        seen.add(name)
        names.append(name)
    return names


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank cells missing; columns numeric where every filled cell is a number without a leading zero."""
    out = {}
    for column in frame.columns:
        text = frame[column].astype(str).str.strip()
        text = text.mask(text == "")
        numbers = pd.to_numeric(text, errors="coerce")
        filled = text.notna()
        if filled.any() and numbers[filled].notna().all() and not text[filled].str.match(_LEADING_ZERO).any():
            out[column] = numbers
        else:
            out[column] = text
    return pd.DataFrame(out, index=frame.index)


def row_list(rows) -> str:
    """Row numbers as short ranges: ``3, 7–9, 12``."""
    numbers = sorted({int(r) for r in rows})
    parts, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            parts.append(str(start) if start == n else f"{start}–{n}")
            start = None
    return ", ".join(parts)
