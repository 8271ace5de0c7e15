"""Prompt templates cannot build a huge string in one uninterruptible call (compile-time folding or a C call the
render clock cannot stop): such a template is refused, naming the example's row and the width to make smaller.

Sizes are ~10**8 or a few 10**7 characters: over RENDER_MAX_CHARS, yet harmless if the limit were missing."""

from __future__ import annotations

import time
from typing import Any

import jinja2
import pytest

from evalcore.errors import SuiteError
from evalcore.example import Example
from evalcore.prompt_render import RENDER_MAX_CHARS, _sandbox, render_messages
from evalcore.suite import Suite, parse_suite

BIG = 99_999_999


def _suite(prompt: str) -> Suite:
    """A minimal suite whose only message is `prompt`."""
    return parse_suite({"name": "t", "prompt": prompt, "dataset": "d.csv",
                        "candidates": [{"name": "a", "model": "openai/x"}],
                        "scorers": [{"type": "regex", "pattern": "x"}]})


def _example(**fields: Any) -> Example:
    """Row 3 of a dataset, so that messages can be checked for naming it."""
    return Example(id="e3", input="hello world", row=3, fields={"n": BIG, "x": 3.14159, "name": "alice", **fields})


def _refusal(prompt: str) -> str:
    """The error of rendering `prompt` for one example (it must fail)."""
    with pytest.raises(SuiteError) as err:
        render_messages(_suite(prompt), [_example()])
    return str(err.value)


HOSTILE = [
    ('{{ "x"|center(99999999) }}', "center(99999999)"),
    # one join each, which the render clock cannot interrupt: chained, they doubled 2M characters to GBs
    ('{% set a = "x" * 1999999 %}{% set b = a ~ a %}{{ b|length }}', "joining text"),
    ('{% set a = "x" * 1999999 %}{% set b %}{{ a }}{{ a }}{% endset %}{{ b|length }}', "joining text"),
    ('{% macro d(s) %}{{ s }}{{ s }}{% endmacro %}{% set a = "x" * 1999999 %}{{ d(a)|length }}', "joining text"),
    ('{% set s = "x"|center(99999999) %}ok', "center(99999999)"),  # folded at compile time, then thrown away
    ('{{ "x"|center(n)|length }}', "center(99999999)"),  # a huge intermediate, a short message
    ('{{ "x"|center(n) }}', "center(99999999)"),
    ('{{ "a\nb"|indent(99999999) }}', "indent(99999999)"),
    ('{{ "x"|indent(99999999, true) }}', "indent(99999999)"),
    ('{{ "x".ljust(99999999) }}', "ljust(99999999)"),
    ('{{ "x".ljust(n) }}', "ljust(99999999)"),
    ('{{ "x".rjust(99999999) }}', "rjust(99999999)"),
    ('{{ "x".center(99999999) }}', "center(99999999)"),
    ('{{ "x".zfill(99999999) }}', "zfill(99999999)"),
    ('{{ "x\t".expandtabs(99999999) }}', "expandtabs(99999999)"),
    ('{{ "%099999999d" % 1 }}', "the format '%099999999'"),
    ('{{ "%.99999999f" % 1 }}', "the format '%.99999999'"),
    ('{{ "%*d" % (n, 1) }}', "the format '%*'"),
    ('{{ "%99999999d"|format(1) }}', "the format '%99999999'"),
    ('{{ "{:99999999}".format(1) }}', "the format '{:99999999}'"),
    ('{{ "{:.99999999f}".format(1.0) }}', "the format '{:.99999999f}'"),
    ('{{ "{:{w}}".format(1, w=n) }}', "the format '{:99999999}'"),
    ('{{ "{x:99999999}".format_map({"x": 1}) }}', "the format '{:99999999}'"),
    ('{{ ("y"*1000).join(["x"]*20000) }}', "join()"),
    ('{{ (["x"*1000]*20000)|join }}', "join"),
    ('{{ ("x"*20000).replace("x", "y"*1000) }}', "replace()"),
    ('{{ ("x"*20000)|replace("x", "y"*1000) }}', "replace()"),
    ('{{ ("x"*20000).translate({120: "y"*1000}) }}', "translate()"),
    ('{% set a = "x"*1500000 %}{{ (a + a)|length }}', "+"),
    ('{{ [1]|batch(99999999, 0)|list|length }}', "batch(99999999)"),
    ('{{ [[1]]|tojson(99999999) }}', "tojson(indent=99999999)"),
]


@pytest.mark.parametrize(("prompt", "named"), HOSTILE)
def test_hostile_template_is_refused_naming_row_and_what_to_fix(prompt: str, named: str) -> None:
    started = time.monotonic()
    msg = _refusal(prompt)
    assert time.monotonic() - started < 5
    assert "row 3" in msg and "prompt message 1" in msg and "suite.yaml" in msg
    assert named in msg and f"longer than {RENDER_MAX_CHARS:,} characters" in msg
    assert "smaller" in msg or "shorter" in msg or "fewer" in msg or "64 or less" in msg


def test_constant_filter_is_not_folded_at_compile_time() -> None:
    """The 100 MB string was built by env.from_string (outside the render clock) and stored in the code."""
    source = _sandbox().compile('{{ "x"|center(99999999) }}{{ "%099999999d" % 1 }}', raw=True)
    assert len(source) < 10_000


def test_range_join_is_bounded_by_max_range() -> None:
    assert "MAX_RANGE" in _refusal('{{ range(99999999)|join(",") }}')
    assert "result of * too large" in _refusal("{{ [0]*99999999 }}")


NORMAL = ["{{ name|center(20) }}|", "{{ 'a\nb'|indent(4) }}", "{{ 'a\nb'|indent(4, true) }}", "{{ '%5.2f' % x }}",
          "{{ '%-8s|%*d' % (name, 6, 42) }}", "{{ '{:>10}'.format(name) }}", "{{ '{:{w}.{p}f}'.format(x, w=9, p=3) }}",
          "{{ '{n:,}'.format_map({'n': 1234567}) }}", "{{ name.ljust(30) }}|", "{{ name.rjust(8, '.') }}",
          "{{ '7'.zfill(4) }}", "{{ 'a\tb'.expandtabs(4) }}", "{{ '%d%%'|format(50) }}", "{{ input|wordwrap(5) }}",
          "{{ ['a', 'b']|join(', ') }}", "{{ ', '.join(['a', 'b']) }}", "{{ input|replace('o', '0') }}",
          "{{ input.replace('l', 'L', 1) }}", "{{ [1, 2, 3]|batch(2, 0)|list }}", "{{ {'a': [1]}|tojson(2) }}",
          "{{ name + '!' }} {{ [1] + [2] }} {{ 7 % 3 }} {{ 2 ** 10 }}", "{{ ' x '|trim|center(5) }}"]


@pytest.mark.parametrize("prompt", NORMAL)
def test_normal_widths_render_as_plain_jinja(prompt: str) -> None:
    ex = _example()
    plain = jinja2.Environment(keep_trailing_newline=True).from_string(prompt).render(**ex.template_vars())
    assert render_messages(_suite(prompt), [ex]) == [(("user", plain),)]
