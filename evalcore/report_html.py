"""The report as one self-contained HTML file: inline CSS, charts as inline SVG drawn offline by vl-convert, and
no script at all, so it opens from a mail attachment or a file share with no network and nothing to run.

Every piece of text goes through `_t` (html.escape, control and bidi characters shown as escapes), so a model's
`<script>` or `<img onerror>` is shown as text. A Content-Security-Policy allowing no script and no request is a
second wall: even markup that slipped through could neither run nor call out. Each SVG is checked to hold only
drawing elements before it is inlined (`safe_svg`).
"""

from __future__ import annotations

import html
import re
import threading
from typing import Any
from xml.etree import ElementTree

from evalcore.report import Block, Bullets, Case, Figure, Para, Report, Section, Table, visible

OUTPUT_CHARS = 6000  # per text block; the rest is counted, not shown
CHART_WIDTH = 640

def _t(text: Any) -> str:
    return html.escape(visible(text), quote=True)


def _clip(text: str, limit: int = OUTPUT_CHARS) -> str:
    if len(text) <= limit:
        return text
    from evalcore import formatting as fmt

    return text[:limit] + f"\n... ({fmt.whole(len(text) - limit)} more characters not shown)"


# -- charts -------------------------------------------------------------------------------------------------------

_SVG_TAGS = {"svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan",
             "defs", "clipPath", "linearGradient", "radialGradient", "stop", "title", "desc", "pattern", "mask"}
_URL = re.compile(r"url\(\s*([^)]*)\)")


def safe_svg(svg: str) -> str | None:
    """`svg` if it is a well-formed SVG made only of drawing elements (no script, no foreignObject, no event
    handler, no link or reference outside the document), else None."""
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError:
        return None
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        if tag not in _SVG_TAGS:
            return None
        for name, value in el.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on") or (local == "href" and not value.startswith("#")):
                return None
            if any(not u.strip("'\" ").startswith("#") for u in _URL.findall(value)):
                return None
            if "javascript:" in value.lower():
                return None
    return svg[svg.index("<svg"):]


_warming: list[threading.Thread] = []


def warm_up() -> None:
    """Start vl-convert's JavaScript engine in a background thread (~1 s of CPU the first time in a process; it
    releases the GIL), so it loads while the report's numbers are gathered instead of after."""
    if _warming:
        return

    def start() -> None:
        import vl_convert

        vl_convert.vegalite_to_svg({"data": {"values": [{"x": 0}]}, "mark": "point",
                                    "encoding": {"x": {"field": "x", "type": "quantitative"}}})

    thread = threading.Thread(target=start, name="evalcore-report-charts", daemon=True)
    _warming.append(thread)
    thread.start()


def chart_svg(chart: Any) -> str | None:
    """An Altair chart drawn to SVG offline (vl-convert's bundled Vega, no network), or None if it cannot be."""
    import vl_convert

    spec = chart.properties(width=CHART_WIDTH).to_dict()
    spec.pop("usermeta", None)
    return safe_svg(vl_convert.vegalite_to_svg(spec))


# -- the page -----------------------------------------------------------------------------------------------------

_CSS = """
:root { --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#f6f8fa; --pick:#1a7f37; --nopick:#0969da;
        --warn:#9a6700; --fail:#cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       background: #fff; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 36px 0 10px; padding-top: 8px;
  border-top: 1px solid var(--line); } h3 { font-size: 16px; margin: 22px 0 6px; }
p { margin: 8px 0; } .note { color: var(--muted); font-size: 13px; }
.pick, .nopick, .warn { font-size: 18px; font-weight: 600; padding: 12px 16px; border-radius: 8px;
  border-left: 6px solid; background: var(--bg); }
.pick { border-color: var(--pick); } .nopick { border-color: var(--nopick); } .warn { border-color: var(--warn);
  font-size: 15px; }
nav { font-size: 13px; margin: 12px 0 0; } nav a { margin-right: 14px; color: var(--nopick); }
.table { overflow-x: auto; margin: 10px 0; }
table { border-collapse: collapse; font-size: 13px; }
td:nth-child(-n+2) { white-space: nowrap; }
td.prose { white-space: normal; min-width: 14em; }
details > summary { cursor: pointer; color: var(--nopick); font-size: 14px; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top;
  unicode-bidi: isolate; }
th { background: var(--bg); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fbfcfd; }
figure { margin: 12px 0; } figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.case { border: 1px solid var(--line); border-radius: 8px; padding: 4px 16px 14px; margin: 16px 0; }
.blocks { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 10px; }
.block { border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
.block .head { background: var(--bg); padding: 4px 8px; font-size: 13px; unicode-bidi: isolate; }
.block .head b { margin-right: 6px; } .block.fail .head { border-left: 4px solid var(--fail); }
.block.error .head { border-left: 4px solid var(--warn); } .block.pass .head { border-left: 4px solid var(--pick); }
pre { margin: 0; padding: 8px; font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  white-space: pre-wrap; word-break: break-word; max-height: 320px; overflow: auto; unicode-bidi: isolate; }
ul { margin: 6px 0; padding-left: 22px; } li { margin: 2px 0; }
@media print { pre { max-height: none; } h2 { break-after: avoid; } .case { break-inside: avoid; }
  nav { display: none; } }
"""

# No script, no request of any kind; only the inline stylesheet and inline SVG.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def render_html(doc: Report) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_t(doc.title)}</title><style>{_CSS}</style></head>",
        '<body><main>',
        f"<h1>{_t(doc.title)}</h1>",
        *[_para(p) for p in doc.intro],
        "<nav>" + "".join(f'<a href="#{s.key}">{_t(s.title)}</a>' for s in doc.sections) + "</nav>",
        *[_section(s) for s in doc.sections],
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _section(s: Section) -> str:
    return f'<section id="{_t(s.key)}"><h2>{_t(s.title)}</h2>\n' + "\n".join(_item(i) for i in s.items) + "</section>"


def _item(item: Any) -> str:
    if isinstance(item, Para):
        return _para(item)
    if isinstance(item, Bullets):
        ul = "<ul>" + "".join(f"<li>{_t(x)}</li>" for x in item.items) + "</ul>"
        return f"<details><summary>{_t(item.summary)}</summary>{ul}</details>" if item.summary else ul
    if isinstance(item, Table):
        return _table(item)
    if isinstance(item, Figure):
        return _figure(item)
    if isinstance(item, Case):
        return _case(item)
    raise TypeError(f"no HTML for {type(item).__name__}")


def _para(p: Para) -> str:
    cls = "" if p.tone == "plain" else f' class="{p.tone}"'
    return f"<p{cls}>{_t(p.text)}</p>"


def _table(t: Table) -> str:
    def cls(i: int) -> str:
        return ' class="num"' if i in t.numeric else ' class="prose"' if i in t.prose else ""

    head = "".join(f"<th{cls(i)}>{_t(c)}</th>" for i, c in enumerate(t.columns))
    body = []
    for r, row in enumerate(t.rows):
        cells = []
        for i, c in enumerate(row):
            title = t.hover[r][i] if t.hover and t.hover[r][i] else ""
            cells.append(f"<td{cls(i)}" + (f' title="{_t(title)}"' if title else "") + f">{_t(c)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="table"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _figure(f: Figure) -> str:
    try:
        svg = chart_svg(f.build())
    except Exception as exc:  # noqa: BLE001 - a chart that cannot be drawn must not cost the whole report
        return f'<p class="note">(Chart left out: it could not be drawn offline: {_t(type(exc).__name__)}.)</p>'
    if svg is None:
        return '<p class="note">(Chart left out: its drawing held something other than shapes and text.)</p>'
    return f"<figure>{svg}<figcaption>{_t(f.caption)}</figcaption></figure>"


def _case(c: Case) -> str:
    blocks = "".join(_block(b) for b in c.blocks)
    return (f'<div class="case"><h3>{_t(c.title)}</h3><p class="note">{_t(c.summary)}</p>'
            f'<div class="blocks">{blocks}</div></div>')


def _block(b: Block) -> str:
    meta = f" {_t(b.meta)}" if b.meta else ""
    return (f'<div class="block {b.tone}"><div class="head"><b>{_t(b.label)}</b>{meta}</div>'
            f"<pre>{_t(_clip(b.text))}</pre></div>")
