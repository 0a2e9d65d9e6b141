"""The rules every part of a poll shares: methods, stages, limits (standard library only).

Kept apart from the service so that the command line can describe ``planning poll …`` without
loading the database layer.
"""
from __future__ import annotations

METHODS = ("approval", "ranked", "score")
STATES = ("draft", "hearing", "voting", "closed", "published", "evaluated")
STATE_ZH = {
    "draft": "草案", "hearing": "听证", "voting": "投票", "closed": "投票结束",
    "published": "公示", "evaluated": "成效评议",
}
TRANSITIONS = {
    "draft": ("hearing", "voting"),
    "hearing": ("voting",),
    "voting": ("closed",),
    "closed": ("published",),
    "published": ("evaluated",),
    "evaluated": (),
}
ELECTORATES = {"residents": "全体居民", "representatives": "居民代表"}
MAX_CODES = 100_000

# Characters allowed in each kind of user text, the same on SQLite and PostgreSQL: the service
# checks them before the database sees the text.
MAX_TITLE_CHARS = 200
MAX_COMMENT_CHARS = 2000
MAX_LABEL_CHARS = 40
MAX_REASON_CHARS = 500
MAX_URL_CHARS = 300
