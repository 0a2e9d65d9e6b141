"""The names of the siting models and solvers, and which model takes several facility types (standard
library only at import: the CLI lists and checks them at once)."""
from __future__ import annotations

from collections.abc import Sequence

MODEL_NAMES = ("mclp", "lscp", "p_median", "capacitated", "budget", "parking")
SOLVER_NAMES = ("highs", "pulp_highs", "cbc")
MULTI_TYPE_MODELS = ("budget",)  # the models that site several facility types together (under one budget)


def check_model_types(model: str, type_keys: Sequence[str]) -> None:
    """Refuse several facility types for a model that sites one type at a time (all but the budget model),
    which would otherwise site the first and silently drop the rest."""
    if len(type_keys) > 1 and model not in MULTI_TYPE_MODELS:
        from planning.base.errors import PlanningError

        raise PlanningError("optimize_one_type", model=model, types=", ".join(type_keys))
