"""The report as GitHub-flavoured Markdown for a pull-request comment: tables and text, no images.

Text from files and models is escaped (`_md`) so it cannot restyle the comment or run anything: markdown's
punctuation is backslash-escaped, `< > &` become entities (no HTML, no autolink), a pipe cannot end a table
cell, `@name` and `#123` cannot mention people or link issues, newlines cannot start a block, and control and
bidi characters are shown as escapes. Verbatim text (inputs, outputs) sits in fenced code blocks whose fence is
longer than any run of backticks inside. The comment stays under GitHub's 65,536-character limit: outputs are
shortened, then examples left out, until it fits.
"""

from __future__ import annotations

import re
from typing import Any

from evalcore import formatting as fmt
from evalcore.report import Block, Bullets, Case, Figure, Para, Report, Section, Table, visible

LIMIT = 60_000  # characters; GitHub refuses comments over 65,536
_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_REFERENCE = re.compile(r"([@#])(?=[\w-])")  # @mention, #123: a zero-width space keeps them plain text
_BACKTICKS = re.compile(r"`+")


def md(text: Any) -> str:
    """Plain text safe inside a markdown paragraph, list item or table cell (one line)."""
    s = visible(text).replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ").replace("\t", " ")
    s = "".join(_ENTITIES.get(ch, ch) for ch in s)
    s = _SPECIAL.sub(r"\\\1", s)
    return _REFERENCE.sub("\\1\u200b", s)


def fenced(text: str, limit: int | None = None) -> str:
    """Verbatim text in a fenced code block nothing inside can close; shortened to `limit` characters."""
    body = visible(text)
    if limit is not None and len(body) > limit:
        body = body[:limit] + f"\n... ({fmt.whole(len(body) - limit)} more characters not shown)"
    longest = max((len(m) for m in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def render_md(doc: Report) -> str:
    head = [f"## {md(doc.title)}", "", *[_para(p) + "\n" for p in doc.intro]]
    body = [_section(s) for s in doc.sections if s.key != "cases"]
    cases = doc.section("cases")
    text = "\n".join(head + body)
    if cases is None:
        return text.rstrip() + "\n"
    room = LIMIT - len(text)
    all_cases = [i for i in cases.items if isinstance(i, Case)]
    others = [i for i in cases.items if not isinstance(i, Case)]
    for keep in range(len(all_cases), -1, -1):
        for per_block in (2000, 1000, 500, 250):
            shown = _section(Section(cases.key, cases.title, others + all_cases[:keep]), per_block)
            if keep < len(all_cases):
                shown += (f"\n{md(fmt.count(len(all_cases) - keep, 'more example'))} left out to keep this comment "
                          "under GitHub's size limit: the HTML report has them.\n")
            if len(shown) <= room:
                return (text + "\n" + shown).rstrip() + "\n"
    return text.rstrip() + "\n"


def _section(s: Section, per_block: int = 2000) -> str:
    lines = [f"### {md(s.title)}", ""]
    for item in s.items:
        lines += [_item(item, per_block), ""]
    return "\n".join(lines)


def _item(item: Any, per_block: int) -> str:
    if isinstance(item, Para):
        return _para(item)
    if isinstance(item, Bullets):
        ul = "\n".join(f"- {md(x)}" for x in item.items)
        return f"<details><summary>{_summary(item.summary)}</summary>\n\n{ul}\n\n</details>" if item.summary else ul
    if isinstance(item, Table):
        return _table(item)
    if isinstance(item, Figure):
        return f"_{md(item.caption)} (chart in the HTML report)_"
    if isinstance(item, Case):
        return _case(item, per_block)
    raise TypeError(f"no Markdown for {type(item).__name__}")


def _summary(text: str) -> str:
    """Text inside our own `<summary>` tag: an HTML block, where markdown is not parsed, so HTML escapes only."""
    import html

    return html.escape(visible(text).replace("\n", " "), quote=True)


def _para(p: Para) -> str:
    text = md(p.text)
    if p.tone in ("pick", "nopick"):
        return f"> **{text}**"
    if p.tone == "warn":
        return f"> [!WARNING]\n> {text}"
    if p.tone == "note":
        return f"<sub>{text}</sub>"
    return text


def _table(t: Table) -> str:
    align = ["---:" if i in t.numeric else "---" for i in range(len(t.columns))]
    rows = [t.columns, *t.rows]
    out = ["| " + " | ".join(md(c) or " " for c in row) + " |" for row in rows]
    out.insert(1, "| " + " | ".join(align) + " |")
    return "\n".join(out)


def _case(c: Case, per_block: int) -> str:
    parts = [f"**{md(c.title)}**: {md(c.summary)}", "", "<details><summary>Input, reference and every candidate's "
             "output</summary>", ""]
    for b in c.blocks:
        parts += [_block_head(b), "", fenced(b.text, per_block), ""]
    parts.append("</details>")
    return "\n".join(parts)


def _block_head(b: Block) -> str:
    return f"**{md(b.label)}**" + (f" · {md(b.meta)}" if b.meta else "")
