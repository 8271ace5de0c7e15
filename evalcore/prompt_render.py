"""Prompt rendering: every example's messages from the suite's Jinja templates, in a sandbox whose limits no
template can get around.

A prompt is data a suite author (or anyone with the Data page) writes, and it runs in the CLI's and the
dashboard's process. So it is rendered sandboxed (no attribute access to Python internals, no mutation), under a
time limit per example that interrupts even a loop that prints nothing (`_RenderClock`), and a size limit on each
message; and every operation that could build a huge string in one C call, which no clock can interrupt
(`"x"|center(99999999)`, folded by Jinja at compile time; `"x".ljust(10**10)`; `"%099999999d" % 1`), is refused
before it runs. Every failure names the example's row and the message, and says what to fix.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from evalcore.errors import SuiteError, did_you_mean
from evalcore.example import Example
from evalcore.suite import Suite

RENDER_TIME_S = 2.0  # per example: a template with nested range() loops must not run for minutes
RENDER_MAX_CHARS = 2_000_000  # per rendered message: ten max-size cells, far more than any model takes
_MAX_RENDER_PROBLEMS = 20


class RenderLimit(Exception):
    """A template went over the time or size limit while rendering one example."""


def _too_long(size: int, what: str, fix: str) -> None:
    """Refuse, before it is built, a string or list that would be longer than a rendered message may be: one C call
    (center, ljust, '%0999999999d') cannot be stopped by the render clock, and could take all memory."""
    if size > RENDER_MAX_CHARS:
        from jinja2.sandbox import SecurityError

        raise SecurityError(f"{what} would make a result longer than {RENDER_MAX_CHARS:,} characters; {fix}")


def _int_arg(value: Any) -> int:
    """An int width or count as given (a bool or float is left to the call's own error)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _len_of(value: Any) -> int:
    """Length of a value as a string would be (str, bytes, else its str())."""
    return len(value) if isinstance(value, (str, bytes)) else len(str(value))


_DIGITS = re.compile(r"\d+")
_SEVEN_DIGITS = re.compile(r"\d{7}")
_PRINTF_SPEC = re.compile(r"%%|%(?:\([^)]*\))?([-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d*))?)")


def _wide_spec(spec: str) -> bool:
    """A format spec ('>99999999', '.5f', '099999999') whose width or precision is over the size limit."""
    if len(spec) < 7:  # no room for a number over 2,000,000 (the usual case: '>10', '.2f')
        return False
    for run in _DIGITS.findall(spec):
        run = run.lstrip("0")
        if len(run) > 9 or (run and int(run) > RENDER_MAX_CHARS):
            return True
    return False


def _check_printf(fmt: Any, args: Any) -> None:
    """'%099999999d' % 1, '%*d' % (10**9, 1) and the `format` filter: refuse a width/precision over the limit."""
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    if "*" not in text and not _SEVEN_DIGITS.search(text):  # the usual '%5.2f': no width could be over the limit
        return
    values = args if isinstance(args, tuple) else (args,)
    for m in _PRINTF_SPEC.finditer(text):
        spec = m.group(1)
        if spec and (_wide_spec(spec) or ("*" in spec and any(abs(_int_arg(v)) > RENDER_MAX_CHARS for v in values))):
            _too_long(RENDER_MAX_CHARS + 1, f"the format '%{spec}'", "use a smaller width or precision")


def _check_replace(s: Any, old: Any, new: Any, count: Any = None) -> None:
    """s.replace(old, new): len(s) + (occurrences of old) * growth; '' occurs len(s) + 1 times."""
    if not (isinstance(s, (str, bytes)) and type(old) is type(new) is type(s) and len(new) > len(old)):
        return
    n = s.count(old)
    if isinstance(count, int) and count >= 0:
        n = min(n, count)
    _too_long(len(s) + n * (len(new) - len(old)), "replace()", "replace with a shorter string, or fewer times")


def _checked_items(sep: Any, items: Any, what: str) -> list[Any]:
    """The items of a join, listed (a generator is read once), after checking the joined length."""
    listed = items if isinstance(items, (list, tuple)) else list(items)
    if listed:
        size = len(sep) * (len(listed) - 1) if isinstance(sep, (str, bytes)) else 0
        for item in listed:
            size += _len_of(item)
            _too_long(size, what, "join fewer or shorter items")
    return listed


def _check_str_method(owner: str | bytes, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Checks a str/bytes method call that can grow its string in one C call; returns the (possibly listed) args."""
    if name in ("ljust", "rjust", "center", "zfill") and args:
        _too_long(_int_arg(args[0]), f"{name}({args[0]})", "use a smaller width")
    elif name == "expandtabs":
        tab = _int_arg(args[0] if args else kwargs.get("tabsize", 8))
        _too_long(len(owner) + owner.count("\t" if isinstance(owner, str) else b"\t") * tab,
                  f"expandtabs({tab})", "use a smaller tab size")
    elif name == "replace" and len(args) >= 2:
        _check_replace(owner, args[0], args[1], args[2] if len(args) > 2 else kwargs.get("count"))
    elif name == "join" and len(args) == 1:
        return (_checked_items(owner, args[0], "join()"),)
    elif name == "translate" and args and isinstance(args[0], dict) and isinstance(owner, str):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        _too_long(len(owner) * longest, "translate()", "map to shorter strings")
    return args


def _guarded_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters, with the ones that can build a huge string in one call refusing first. The optimizer folds
    filters with constant arguments at compile time through these same functions: a refusal there is caught by
    Jinja (not folded) and raised when the example is rendered, naming its row. Each check takes the filter's own
    parameters (a plain call binds them: inspect.signature.bind cost ~8 us a use) and returns the arguments to
    call it with (join reads a generator once)."""
    import functools

    from jinja2.filters import make_attrgetter

    Args = tuple[tuple[Any, ...], dict[str, Any]] | None

    def center(value: Any, width: Any = 80) -> Args:
        _too_long(_int_arg(width), f"center({width})", "use a smaller width")
        return None

    def indent(s: Any, width: Any = 4, *_: Any, **__: Any) -> Args:
        pad = len(width) if isinstance(width, str) else _int_arg(width)
        _too_long(len(s) + (s.count("\n") + 1) * pad if isinstance(s, str) else pad, f"indent({width!r})",
                  "use a smaller indent")
        return None

    def wordwrap(env: Any, s: Any, width: Any = 79, long: Any = True, wrapstring: Any = None, *_: Any,
                 **__: Any) -> Args:
        wrap, width = wrapstring or "\n", _int_arg(width)
        if isinstance(s, str) and isinstance(wrap, str) and width > 0 and len(s) * (len(wrap) + 1) > RENDER_MAX_CHARS:
            _too_long(len(s) + (2 * len(s) // width + s.count("\n") + 2) * len(wrap), "wordwrap",
                      "use a shorter wrapstring or a wider width")
        return None

    def format_(value: Any, *args: Any, **kwargs: Any) -> Args:
        _check_printf(value, kwargs or args)
        return None

    def replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: Any = None) -> Args:
        _check_replace(str(s), str(old), str(new), count)
        return None

    def join(eval_ctx: Any, value: Any, d: Any = "", attribute: Any = None) -> Args:
        if attribute is not None:
            value = map(make_attrgetter(eval_ctx.environment, attribute), value)
        return (eval_ctx, _checked_items(d, value, "join"), d), {}

    def tojson(eval_ctx: Any, value: Any, indent: Any = None) -> Args:
        if (len(indent) if isinstance(indent, str) else _int_arg(indent)) > 64:
            _too_long(RENDER_MAX_CHARS + 1, f"tojson(indent={indent!r})", "indent by 64 or less")
        return None

    def batch(value: Any, linecount: Any, fill_with: Any = None) -> Args:
        _too_long(_int_arg(linecount) if fill_with is not None else 0, f"batch({linecount})", "use a smaller count")
        return None

    def slice_(value: Any, slices: Any, fill_with: Any = None) -> Args:
        _too_long(_int_arg(slices), f"slice({slices})", "use fewer slices")
        return None

    checks: dict[str, Callable[..., Args]] = {"center": center, "indent": indent, "wordwrap": wordwrap,
                                              "format": format_, "replace": replace, "join": join,
                                              "tojson": tojson, "batch": batch, "slice": slice_}

    def guard(func: Any, check: Callable[..., Args]) -> Any:
        @functools.wraps(func)  # keeps Jinja's pass_context / pass_eval_context mark
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                instead = check(*args, **kwargs)
            except TypeError:
                return func(*args, **kwargs)  # a wrong call: the filter's own error
            return func(*instead[0], **instead[1]) if instead else func(*args, **kwargs)

        return guarded

    return {name: guard(f, checks[name]) if name in checks else f for name, f in filters.items()}


def _sandbox():  # type: ignore[no-untyped-def]
    """The environment every prompt is compiled and rendered with: sandboxed, and every operation that can build a
    huge result in one uninterruptible call (`*`, `**`, `%`, `+`, str.center/ljust/format..., filters with a
    width) is bounded by RENDER_MAX_CHARS. Costs nothing for a template that does none of these."""
    import types
    from functools import update_wrapper

    from jinja2 import StrictUndefined
    from jinja2.sandbox import (ImmutableSandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter,
                                SecurityError)
    from markupsafe import Markup

    class SpecCheck:
        """str.format: a field's width/precision ('{:99999999}', '{:{w}}' with w large) is refused."""

        def format_field(self, value: Any, format_spec: str) -> Any:
            if _wide_spec(format_spec):
                _too_long(RENDER_MAX_CHARS + 1, f"the format '{{:{format_spec}}}'", "use a smaller width or precision")
            return super().format_field(value, format_spec)  # type: ignore[misc]

    class LimitedFormatter(SpecCheck, SandboxedFormatter):
        pass

    class LimitedEscapeFormatter(SpecCheck, SandboxedEscapeFormatter):
        pass

    class LimitedSandbox(ImmutableSandboxedEnvironment):
        """The sandbox with bounded `*`, `**`, `%`, `+` and string-growing calls: 'x' * 10**9 or 9**9**9 would hang
        or take all memory before any time check."""

        intercepted_binops = frozenset({"*", "**", "%", "+"})
        code_generator_class = _join_checking_code_generator()
        checked_str_join = staticmethod(_checked_str_join)

        def call_binop(self, context, operator, left, right):  # type: ignore[no-untyped-def]
            if operator == "**" and isinstance(left, (int, float)) and isinstance(right, (int, float)):
                if abs(right) > 1024 and abs(left) not in (0, 1):
                    raise SecurityError("power too large")
            if operator == "*":
                for seq, times in ((left, right), (right, left)):
                    if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
                        if len(seq) * times > RENDER_MAX_CHARS:
                            raise SecurityError("result of * too large")
            if operator == "%" and isinstance(left, (str, bytes)):
                _check_printf(left, right)
            if operator == "+" and isinstance(left, (str, bytes, list, tuple)) and type(left) is type(right):
                _too_long(len(left) + len(right), "+", "add shorter strings or lists")
            return super().call_binop(context, operator, left, right)

        def call(self, context, obj, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            owner = getattr(obj, "__self__", None)
            if isinstance(owner, (str, bytes)):
                args = _check_str_method(owner, getattr(obj, "__name__", ""), args, kwargs)
            return super().call(context, obj, *args, **kwargs)

        def wrap_str_format(self, value):  # type: ignore[no-untyped-def]
            # Jinja's own, with formatters that check each field's spec (its formatter has no hook for that).
            if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) or value.__name__ not in (
                    "format", "format_map") or not isinstance(value.__self__, str):
                return None
            f_self = value.__self__
            formatter = (LimitedEscapeFormatter(self, escape=f_self.escape) if isinstance(f_self, Markup)
                         else LimitedFormatter(self))
            is_format_map = value.__name__ == "format_map"

            def wrapper(*args: Any, **kwargs: Any) -> str:
                if is_format_map:
                    if kwargs:
                        raise TypeError("format_map() takes no keyword arguments")
                    if len(args) != 1:
                        raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                    kwargs, args = args[0], ()
                return type(f_self)(formatter.vformat(f_self, args, kwargs))

            return update_wrapper(wrapper, value)

    env = LimitedSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters = _guarded_filters(env.filters)
    env.concat = _checked_concat  # compiled code joins {% set %} blocks, macro output and the page through this
    return env


def _checked_concat(parts: Any) -> str:
    """"".join with the size limit checked first. `~`, a `{% set %}...{% endset %}` block and a macro's output
    are each one join, which no render clock can interrupt: a chain of them doubling a 2M-character string took
    ~10 s and GBs of memory before the clock's next chance."""
    listed = parts if isinstance(parts, list) else list(parts)
    size = 0
    for part in listed:
        size += len(part)
        if size > RENDER_MAX_CHARS:
            _too_long(size, "joining text ('~', a {% set %} block or a macro's output)",
                      "join shorter text, or fewer times")
    return "".join(listed)


def _checked_str_join(parts: Any) -> str:
    """`~` (Jinja's str_join: each part as text), through `_checked_concat`."""
    return _checked_concat([p if isinstance(p, str) else str(p) for p in parts])


def _join_checking_code_generator() -> type:
    """Jinja's code generator with `~` compiled to environment.checked_str_join (the sandbox has no hook for it).
    Autoescape is off in every prompt environment, so markup_join never applies."""
    from jinja2.compiler import CodeGenerator, optimizeconst

    class JoinCheckingCodeGenerator(CodeGenerator):
        @optimizeconst
        def visit_Concat(self, node, frame):  # type: ignore[no-untyped-def]
            self.write("environment.checked_str_join((")
            for arg in node.nodes:
                self.visit(arg, frame)
                self.write(", ")
            self.write("))")

    return JoinCheckingCodeGenerator


class _RenderClock:
    """Times each example's rendering from a watchdog thread, which interrupts a render that overruns
    RENDER_TIME_S by raising RenderLimit in the rendering thread (PyThreadState_SetAsyncExc, delivered at the
    next bytecode: nested range() loops that print nothing included). Costs nothing per template line, unlike
    a trace function (which made rendering ~5x slower). It fires at most once per `start`."""

    def __init__(self) -> None:
        self._target = threading.get_ident()
        self._deadline: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="evalcore-render-clock")

    def __enter__(self) -> _RenderClock:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._deadline = None
        self._stop.set()
        self._thread.join()

    def start(self) -> None:
        self._deadline = time.monotonic() + RENDER_TIME_S

    def stop(self) -> None:
        self._deadline = None

    def _watch(self) -> None:
        import ctypes

        while not self._stop.wait(0.02):
            deadline = self._deadline
            if deadline is not None and time.monotonic() > deadline:
                self._deadline = None
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._target), ctypes.py_object(RenderLimit))


_TOO_SLOW = f"rendering took longer than {RENDER_TIME_S:g} s"


def _render_limited(template: Any, variables: dict[str, Any]) -> str:
    """Render, counting characters as chunks are produced (the time limit is the caller's _RenderClock)."""
    chunks: list[str] = []
    size = 0
    for chunk in template.generate(**variables):
        size += len(chunk)
        if size > RENDER_MAX_CHARS:
            raise RenderLimit(f"the rendered message is longer than {RENDER_MAX_CHARS:,} characters")
        chunks.append(chunk)
    return "".join(chunks)


def render_messages(suite: Suite, examples: Sequence[Example]) -> list[tuple[tuple[str, str], ...]]:
    """Render the prompt for every example with sandboxed Jinja, under a time and size limit per example.
    Every failure (a missing column, a template error, a limit, an empty message) names the example's row."""
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.sandbox import SecurityError

    env = _sandbox()
    try:
        templates = [(m.role, env.from_string(m.content)) for m in suite.messages]
    except TemplateSyntaxError as exc:
        raise SuiteError(f"prompt template error: {exc.message}", file="suite.yaml", row=exc.lineno,
                         hint="Check the {{ }} and {% %} brackets in `prompt`.") from None
    except (RecursionError, MemoryError):
        raise SuiteError("prompt template is nested too deeply to compile.", file="suite.yaml") from None
    except SecurityError as exc:  # the limits refuse folding at compile time, so this is for a future Jinja
        raise SuiteError(f"prompt template refused: {exc}.", file="suite.yaml",
                         hint="Fix the template in `prompt`.") from None
    out = []
    problems: list[tuple[Example, int, str]] = []  # (example, message number, what went wrong)
    current: tuple[Example, int] | None = None
    try:
        with _RenderClock() as clock:
            for ex in examples:
                rendered, stop = [], False
                for i, (role, t) in enumerate(templates, start=1):
                    current = (ex, i)
                    try:
                        clock.start()
                        text = _render_limited(t, ex.template_vars())
                        clock.stop()
                    except UndefinedError as exc:
                        clock.stop()
                        # every column once, the role names (input, expected, tags, id) among them
                        names = sorted(map(str, ex.template_vars()))
                        typo = re.match(r"^'([^']+)' is undefined$", str(exc.message or ""))
                        guess = did_you_mean(typo.group(1), names) if typo else ""
                        raise SuiteError(
                            f"the prompt uses a variable the dataset does not have ({exc.message}).{guess}",
                            file=str(suite.dataset_path), row=ex.row,
                            hint=f"Variables available: {', '.join(names)[:500]}.",
                        ) from None
                    except RenderLimit as exc:  # every example would likely take as long: stop here
                        clock.stop()
                        problems.append((ex, i, str(exc) or _TOO_SLOW))
                        stop = True
                        break
                    except (Exception, RecursionError, MemoryError) as exc:  # SecurityError, TypeError...
                        clock.stop()
                        problems.append((ex, i, f"{type(exc).__name__}: {str(exc)[:300]}"))
                        continue
                    if not text.strip() and ex.input.strip():  # an empty input allowed on purpose may send one
                        problems.append((ex, i, "renders empty, so an empty message would be sent"))
                    rendered.append((role, text))
                out.append(tuple(rendered))
                if stop or len(problems) >= _MAX_RENDER_PROBLEMS:
                    break
    except RenderLimit:  # the clock fired as a render finished right at the limit
        if current is not None:
            problems.append((*current, _TOO_SLOW))
    if problems:
        ex, i, what = problems[0]
        where = f"row {ex.row}" if ex.row is not None else f"example '{ex.id}'"
        more = f" ({len(problems)} failures in all)" if len(problems) > 1 else ""
        others = "; ".join(
            f"{f'row {e.row}' if e.row is not None else e.id}: message {n}: {w}" for e, n, w in problems[1:6]
        )
        raise SuiteError(
            f"prompt message {i} fails for {where}: {what}.{more}" + (f" Also: {others}." if others else ""),
            file="suite.yaml",
            hint="Fix the template in `prompt` (or the example's data); every example is rendered before any call.",
        )
    return out
