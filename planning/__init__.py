"""社区生活圈规划 — walking coverage, siting and participation for Chinese neighbourhoods."""

__version__ = "0.1.0"
