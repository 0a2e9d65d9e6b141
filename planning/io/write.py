"""Writing outputs so that the user never loses a file: complete or not at all.

Every output (GeoPackage, CSV, Excel, PDF, HTML, JSON, scenario files, caches …) is written
into a hidden work folder beside the target (``.<name>.<random>.part/<name>``) and moved into
place with :func:`os.replace` only when it is complete. A full disk, Ctrl-C or a kill therefore
leaves the earlier output as it was, and the work folder — with whatever side files the writer
made (a GeoPackage's ``-journal``/``-wal``, GDAL's R-tree temporary file) — is removed.

Overwrite policy (the same for every command): an existing output is **replaced, atomically**
— the new file appears in one step, or the old one stays. The command line says "replaced"
when it did. Refused before anything is written: an output that is one of the inputs, an
output that is a folder (or, for folder outputs, a file), a parent path that is a file.
Missing parent folders are created.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from planning.base.errors import PlanningError, error_reason

_OS_ERRORS = {errno.ENOSPC: "output_disk_full", errno.EDQUOT: "output_disk_full", errno.EROFS: "output_read_only",
              errno.EACCES: "output_not_allowed", errno.EPERM: "output_not_allowed",
              errno.ENOTDIR: "output_parent_is_file", errno.EEXIST: "output_parent_is_file"}
_DISK_FULL_WORDS = ("disk is full", "no space left", "disk full")
# libraries whose own exceptions mean "the file could not be written" (GDAL, SQLite, Excel, PDF)
_WRITER_MODULES = {"pyogrio", "fiona", "sqlite3", "openpyxl", "reportlab", "zipfile", "xlsxwriter"}
_WORK_SUFFIX = ".part"
_FULL_BELOW_BYTES = 1 << 20
Inputs = Iterable[str | Path | None]


def check_output_path(path: str | Path, inputs: Inputs = (), suffixes: tuple[str, ...] = ()) -> Path:
    """The output ``path``, refused when it is a folder, the same file as one of ``inputs``, or (with
    ``suffixes``, the lower-case suffixes of the format written) named for another format: a GeoPackage
    written as ``结果.csv`` opens in neither program its name promises."""
    out = Path(path)
    if out.is_dir():
        raise PlanningError("output_is_folder", path=out)
    _refuse_inputs(out, inputs)
    if suffixes and out.suffix.lower() not in suffixes:
        raise PlanningError("output_suffix", path=out, suffixes=", ".join(suffixes))
    return out


def check_output_folder(path: str | Path, inputs: Inputs = ()) -> Path:
    """A folder output (``export --format csv|geojson``, ``batch``): refused when it is a file."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise PlanningError("output_not_folder", path=out)
    _refuse_inputs(out, inputs)
    return out


def _refuse_inputs(out: Path, inputs: Inputs) -> None:
    for given in inputs:
        if given is not None and str(given) and _same_file(out, Path(given)):
            raise PlanningError("output_is_input", path=out)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def _work_folder(out: Path) -> Path:
    """A fresh hidden folder beside ``out`` (same file system, so the final move is atomic)."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=_WORK_SUFFIX, dir=out.parent))
    except OSError as exc:
        raise _planning_error(exc, out) from exc


@contextmanager
def atomic_output(path: str | Path, inputs: Inputs = (), *, replace: bool = True) -> Iterator[Path]:
    """Yield a path to write; on success it becomes ``path`` in one step.

    The yielded path has the same file name as ``path`` (inside a hidden work folder beside
    it), so writers choosing a format by suffix (GDAL, openpyxl) behave as for the real name,
    and it does not exist yet (GDAL refuses to create over a file). On any error, including
    ``KeyboardInterrupt``, the work folder is removed and the old output stays untouched.

    Parameters
    ----------
    replace
        ``True``: an existing ``path`` is replaced. ``False``: an existing ``path`` is refused
        (``output_exists``) — checked and created in one step, so two writers never collide.

    Raises
    ------
    PlanningError
        The path is a folder or an input; the disk is full, read-only or not writable; the
        writer library failed (its reason is kept).
    """
    out = check_output_path(path, inputs)
    work = _work_folder(out)
    tmp = work / out.name
    try:
        yield tmp
        if replace:
            os.replace(tmp, out)
        else:
            _create_new(tmp, out)
    except PlanningError:
        raise
    except Exception as exc:
        converted = writer_error(exc, out)
        if converted is None:
            raise
        raise converted from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _create_new(tmp: Path, out: Path) -> None:
    """Move ``tmp`` to ``out`` only if ``out`` does not exist (a hard link checks and creates at once)."""
    try:
        os.link(tmp, out)
    except FileExistsError:
        raise PlanningError("output_exists", path=out) from None
    except OSError as exc:  # file systems without hard links: reserve the name, then replace it
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        try:
            os.close(os.open(out, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            raise PlanningError("output_exists", path=out) from None
        os.replace(tmp, out)


@contextmanager
def atomic_folder(path: str | Path, inputs: Inputs = ()) -> Iterator[Path]:
    """Yield an empty work folder; on success its files are moved into the folder ``path``.

    Files of the same name already in ``path`` are replaced; other files there are left alone.
    On any error nothing in ``path`` changes (a folder created for the output is removed again).
    """
    out = check_output_folder(path, inputs)
    created = not out.exists()
    work = _work_folder(out / "output")
    try:
        yield work
        for item in sorted(work.iterdir()):
            os.replace(item, out / item.name)
    except BaseException as exc:
        if created and out.exists() and not any(p for p in out.iterdir() if p != work):
            shutil.rmtree(out, ignore_errors=True)
        if isinstance(exc, PlanningError) or not isinstance(exc, Exception):
            raise
        converted = writer_error(exc, out)
        if converted is None:
            raise
        raise converted from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_bytes(path: str | Path, data: bytes, inputs: Inputs = (), *, replace: bool = True) -> Path:
    """Write ``data`` to ``path`` completely or not at all; returns the path."""
    with atomic_output(path, inputs, replace=replace) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str, inputs: Inputs = (), *, replace: bool = True) -> Path:
    """Write UTF-8 ``text`` to ``path`` completely or not at all; returns the path."""
    return write_bytes(path, text.encode("utf-8"), inputs, replace=replace)


def upload_name(name: str) -> str:
    """A browser's name for an uploaded file as a plain file name: its last part only (a crafted
    upload may name ``../../app.py``), without control characters; ``upload`` when nothing is left."""
    last = re.split(r"[\\/]", str(name))[-1]
    clean = "".join(c for c in last if ord(c) >= 32).strip()[:200]
    return "upload" if clean in ("", ".", "..") else clean


def keep_upload(folder: str | Path, name: str, data: bytes) -> Path:
    """``data`` kept as ``folder/<content hash>/<upload_name(name)>`` (a file kept once is not written
    again); the path returned always lies inside ``folder``."""
    root = Path(folder).resolve()
    path = root / hashlib.sha256(data).hexdigest()[:12] / upload_name(name)
    if not path.exists():
        write_bytes(path, data)
    return path


def writer_error(exc: BaseException, out: Path) -> PlanningError | None:
    """``exc`` raised while writing ``out`` as a zh/en error, or None when it is not a writing problem."""
    text = " ".join(str(e) for e in _chain(exc)).lower()
    codes = [getattr(e, "errno", None) for e in _chain(exc)]
    if any(c in (errno.ENOSPC, errno.EDQUOT) for c in codes) or any(w in text for w in _DISK_FULL_WORDS):
        return PlanningError("output_disk_full", path=out)
    writer = any(type(e).__module__.split(".")[0] in _WRITER_MODULES for e in _chain(exc))
    if (writer or isinstance(exc, OSError)) and _nearly_full(out.parent):
        return PlanningError("output_disk_full", path=out)  # libraries that cut off SQLite's "disk is full"
    if isinstance(exc, OSError):
        return _planning_error(exc, out)
    if writer:
        return PlanningError("output_failed", path=out, reason=error_reason(exc))
    return None


def _nearly_full(folder: Path) -> bool:
    """Less than 1 MiB free where ``folder`` lives (asked while the partial file still holds its space)."""
    try:
        return shutil.disk_usage(folder).free < _FULL_BELOW_BYTES
    except OSError:
        return False


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _planning_error(exc: OSError, out: Path) -> PlanningError:
    code = _OS_ERRORS.get(exc.errno, "output_failed")
    return PlanningError(code, path=out, reason=exc.strerror or str(exc))
