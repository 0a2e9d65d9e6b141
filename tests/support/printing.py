"""Checks of printed PDFs with poppler: which fonts are embedded, and pages rendered with no font installed."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

POPPLER = all(shutil.which(tool) for tool in ("pdftoppm", "pdftotext", "pdffonts"))
needs_poppler = pytest.mark.skipif(not POPPLER and not os.environ.get("CI"),
                                   reason="poppler-utils (pdftoppm, pdftotext, pdffonts) not installed")


def pdf_fonts(pdf: Path) -> list[dict[str, str]]:
    """The rows of ``pdffonts``: name, type and whether the font is embedded (``emb``)."""
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    header, rule = lines[0], lines[1]
    starts = [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]
    names = header.split()
    rows = []
    for line in lines[2:]:
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None])]
        rows.append(dict(zip(["name", "type", "encoding", "emb", "sub", "uni", "object", "id"], cells)))
    assert names[:2] == ["name", "type"] and "emb" in names
    return rows


def pdf_text(pdf: Path, raw: bool = False) -> str:
    """The text layer; ``raw``: in drawing order, so a table cell's wrapped lines stay together."""
    return subprocess.run(["pdftotext", "-raw" if raw else "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def render_pages(pdf: Path, stem: Path, *, no_fonts: bool, dpi: int = 40) -> list[np.ndarray]:
    """Every page as a greyscale array; ``no_fonts``: fontconfig sees an empty font folder (a machine with
    no font installed), so only what the PDF embeds can be drawn."""
    env = dict(os.environ)
    if no_fonts:
        empty = stem.parent / "no-fonts"
        (empty / "fonts").mkdir(parents=True, exist_ok=True)
        conf = empty / "fonts.conf"
        conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                        f"<fontconfig><dir>{empty / 'fonts'}</dir><cachedir>{empty / 'cache'}</cachedir></fontconfig>\n",
                        encoding="utf-8")
        env["FONTCONFIG_FILE"] = str(conf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(stem)], capture_output=True, check=True, env=env)
    return [np.asarray(Image.open(p).convert("L")) for p in sorted(stem.parent.glob(f"{stem.name}-*.png"))]


def assert_prints_without_fonts(pdf: Path, workdir: Path) -> None:
    """Every font embedded, and every page drawn the same on a machine without any font."""
    fonts = pdf_fonts(pdf)
    assert fonts, "no font at all in the PDF"
    assert [f["name"] for f in fonts if f["emb"] != "yes"] == [], fonts
    with_fonts = render_pages(pdf, workdir / "with", no_fonts=False)
    without = render_pages(pdf, workdir / "without", no_fonts=True)
    assert len(with_fonts) == len(without) > 0
    for page, (a, b) in enumerate(zip(with_fonts, without), start=1):
        changed = float((np.abs(a.astype(int) - b.astype(int)) > 40).mean())
        assert changed < 0.001, f"page {page} differs without installed fonts ({changed:.2%} of pixels)"
