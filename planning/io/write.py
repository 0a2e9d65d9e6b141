"""Writing outputs so that the user never loses a file: complete or not at all.

Every output (GeoPackage, CSV, Excel, PDF, HTML, JSON, scenario files …) is written to a
temporary file in the same folder and moved into place with :func:`os.replace` only when it
is complete, so a full disk, Ctrl-C or a kill leaves the earlier output as it was and no
half-written file. An output path that is one of the command's inputs is refused.
"""
from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from planning.base.errors import PlanningError

_OS_ERRORS = {errno.ENOSPC: "output_disk_full", errno.EDQUOT: "output_disk_full", errno.EROFS: "output_read_only",
              errno.EACCES: "output_not_allowed", errno.EPERM: "output_not_allowed"}


def check_output_path(path: str | Path, inputs: Iterable[str | Path | None] = ()) -> Path:
    """The output ``path``, refused when it is a folder or the same file as one of ``inputs``."""
    out = Path(path)
    if out.is_dir():
        raise PlanningError("output_is_folder", path=out)
    for given in inputs:
        if given is not None and _same_file(out, Path(given)):
            raise PlanningError("output_is_input", path=out)
    return out


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


@contextmanager
def atomic_output(path: str | Path, inputs: Iterable[str | Path | None] = ()) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    The temporary name keeps the suffix (``.gpkg``, ``.xlsx`` …) so that writers choosing a
    format by suffix (GDAL, openpyxl) behave as for the real name. On any error, including
    ``KeyboardInterrupt``, the temporary file (and a GeoPackage's ``-journal``/``-wal``) is
    removed and the old output stays untouched. Missing parent folders are created.

    Raises
    ------
    PlanningError
        The path is a folder or an input; the disk is full, read-only or not writable.
    """
    out = check_output_path(path, inputs)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=f".part{out.suffix}", dir=out.parent)
    except OSError as exc:
        raise _planning_error(exc, out) from exc
    os.close(handle)
    tmp = Path(name)
    tmp.unlink()  # writers that refuse an existing file (GDAL) create it themselves
    try:
        yield tmp
        os.replace(tmp, out)
    except OSError as exc:
        raise _planning_error(exc, out) from exc
    finally:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)


def write_bytes(path: str | Path, data: bytes, inputs: Iterable[str | Path | None] = ()) -> Path:
    """Write ``data`` to ``path`` completely or not at all; returns the path."""
    with atomic_output(path, inputs) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str, inputs: Iterable[str | Path | None] = ()) -> Path:
    """Write UTF-8 ``text`` to ``path`` completely or not at all; returns the path."""
    return write_bytes(path, text.encode("utf-8"), inputs)


def _planning_error(exc: OSError, out: Path) -> PlanningError:
    return PlanningError(_OS_ERRORS.get(exc.errno, "output_failed"), path=out, reason=exc.strerror or str(exc))
