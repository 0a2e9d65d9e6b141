"""The names of the siting models and solvers (standard library only: the CLI lists them at once)."""

MODEL_NAMES = ("mclp", "lscp", "p_median", "capacitated", "budget", "parking")
SOLVER_NAMES = ("highs", "pulp_highs", "cbc")
