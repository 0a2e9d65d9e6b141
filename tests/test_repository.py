"""The repository as a newcomer meets it: packaging lists every package, every report format has a renderer
(that the tests leave no file behind is checked at the end of the session, tests/conftest.py), every alert of
the app names its icon."""
from __future__ import annotations

import ast
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


def test_every_alert_of_the_app_names_its_icon():
    """Without an icon Streamlit takes a leading emoji out of the text (a user's file or plan name may begin
    with one) and loads its emoji catalogue to look for it."""
    bare = []
    for path in [ROOT / "app.py", *(ROOT / "planning" / "app").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("info", "warning", "error", "success")
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "st"
                    and not any(keyword.arg == "icon" for keyword in node.keywords)):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bare, bare
