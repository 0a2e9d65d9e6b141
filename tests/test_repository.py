"""The repository as a newcomer meets it: packaging lists every package, every report format has a renderer
(that the tests leave no file behind is checked at the end of the session, tests/conftest.py)."""
from __future__ import annotations

import tomllib

from planning.outputs.formats import REPORT_FORMATS
from planning.outputs.reports.build import RENDERERS
from tests.support.data import ROOT


def test_every_python_package_is_in_the_packaging_list():
    """pyproject lists packages by hand (data/ is installed as planning.data): a new folder must be added."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for top in ("planning", "optimize", "scenarios")
             for p in (ROOT / top).rglob("__init__.py")}
    assert found | {"planning.data"} == listed


def test_every_report_format_offered_has_a_renderer():
    assert tuple(RENDERERS) == REPORT_FORMATS
