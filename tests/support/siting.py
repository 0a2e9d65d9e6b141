"""Waiting for the siting page's plan in an AppTest, as the page's own half-second refresh would."""
from __future__ import annotations

import time

DONE = "计算完成"
LONG = "求解需要较长时间，进度见下方"


def plan_shown(at, timeout_s: float = 180.0) -> bool:
    """After 开始计算: True once the page says 计算完成 (at once, or — a solve over a second on a busy
    machine runs in the background — after re-running the page until the solve has ended)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if DONE in [s.label for s in at.status] + [s.value for s in at.success]:
            return True
        if LONG not in [s.label for s in at.status] or time.monotonic() > deadline:
            return False
        time.sleep(0.5)
        at.run()
