"""The report as one self-contained HTML page (maps inlined as base64 PNG), printable from a browser."""
from __future__ import annotations

import base64
from html import escape

from planning.outputs.reports.content import ReportContent, Section, Table, cell_text

_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; max-width: 60em;
       margin: 2em auto; color: #222; line-height: 1.5; }
h1 { text-align: center; } .subtitle { text-align: center; color: #777; font-size: 0.9em; margin: 0; }
h2 { color: #1f3b5a; border-bottom: 1px solid #ccd; margin-top: 1.6em; } h3 { color: #1f3b5a; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.4em 0; }
th, td { border: 1px solid #b0b8c0; padding: 2px 6px; } th { background: #dde6f0; }
tr:nth-child(even) td { background: #f5f7fa; } td.num { text-align: right; }
figure { margin: 1em 0; } figure img { max-width: 100%; } figcaption, .caption { font-size: 0.85em; color: #444; }
footer { margin-top: 2em; font-size: 0.8em; color: #777; }
@media print { h2.break { page-break-before: always; } }
"""


def _cell(value: object, kind: str, lang: str) -> str:
    css = "" if kind == "text" else " class=num"
    return f"<td{css}>{escape(cell_text(value, kind, lang))}</td>"


def _table(table: Table, lang: str) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in table.frame.columns)
    rows = "".join("<tr>" + "".join(_cell(v, table.kinds[c], lang) for c, v in zip(table.frame.columns, row)) + "</tr>"
                   for row in table.frame.itertuples(index=False))
    caption = f'<p class="caption">{escape(table.caption)}</p>' if table.caption else ""
    title = f"<h3>{escape(table.title)}</h3>" if table.title else ""
    return f"{title}<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{caption}"


def _section(section: Section, lang: str) -> str:
    parts = [f'<h2{" class=break" if section.page_break else ""}>{escape(section.title)}</h2>']
    parts += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
    parts += [_table(t, lang) for t in section.tables if t.printed]
    parts += [f'<figure><img alt="{escape(f.caption)}" src="data:image/png;base64,{base64.b64encode(f.png).decode()}">'
              f"<figcaption>{escape(f.caption)}</figcaption></figure>" for f in section.figures]
    return "\n".join(parts)


def render_html(content: ReportContent) -> bytes:
    """UTF-8 HTML of the report."""
    body = "\n".join(_section(s, content.lang) for s in content.sections)
    subtitle = "".join(f'<p class="subtitle">{escape(line)}</p>' for line in content.subtitle)
    page = (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if content.lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f"<title>{escape(content.title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{escape(content.title)}</h1>{subtitle}\n{body}\n<footer>{escape(content.attribution)}</footer>"
            "</body></html>\n")
    return page.encode("utf-8")
