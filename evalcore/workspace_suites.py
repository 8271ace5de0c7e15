"""Suites kept inside a workspace (`suites/<name>/suite.yaml` and its dataset), for the dashboard's Data page.

A suite run from the CLI can live anywhere, so the workspace also knows suites only from their run manifests;
those are listed, but cannot be edited or run from here. Every write is validated first (the suite through the
same pydantic model `evalcore validate` uses, examples through `evalcore.ingest`) and then written atomically,
so an upload either replaces the old file whole or leaves it untouched.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalcore.errors import EvalcoreError, SuiteError, SuiteProblem
from evalcore.example import Example
from evalcore.store import Workspace, atomic_write_bytes
from evalcore.suite import (Columns, LlmJudgeScorer, PythonScorer, Suite, load_suite, parse_suite, read_suite_text,
                            read_suite_yaml)

__all__ = ["CANDIDATE_FIELDS", "EXAMPLES_BACKUP_SUFFIX", "EXAMPLE_SUFFIXES", "SCORER_FIELDS", "ExamplesChange",
           "SuiteEntry", "apply_form", "candidate_rows", "compare_examples", "examples_change",
           "import_uploaded_outputs", "list_suites", "load_document", "preview_examples", "save_examples",
           "save_suite", "scorer_rows", "suite_path"]

CANDIDATE_FIELDS = ["name", "model", "family", "release", "api_base", "api_key_env", "input_price_per_mtok",
                    "output_price_per_mtok", "params"]
SCORER_FIELDS = ["type", "name", "options"]
EXAMPLE_SUFFIXES = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".parquet")
_DEMO_SUITE_FILE = Path("demo") / "suite.yaml"  # where `evalcore demo` writes its suite


@dataclass(frozen=True)
class SuiteEntry:
    """One suite the workspace knows: from its own suites folder, the demo, or only from runs."""

    name: str
    where: str  # "workspace", "demo" or "runs only"
    path: str | None  # the suite file, when there is one here
    candidates: list[str]
    scorers: list[str]
    dataset: str | None
    runs: int
    problem: str | None = None  # a suite file that does not validate says why

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _ws(workspace: str | Path | None) -> Workspace:
    return Workspace(workspace, create=False)


def suite_path(workspace: str | Path | None, name: str) -> Path | None:
    """The suite file of a suite kept in the workspace (its suites folder, else the demo), or None."""
    ws = _ws(workspace)
    for path in (ws.suite_file(name), ws.root / _DEMO_SUITE_FILE):
        if path.is_file():
            try:
                if path == ws.suite_file(name) or load_suite(path).name == name:
                    return path
            except EvalcoreError:
                continue
    return None


def list_suites(workspace: str | Path | None) -> list[SuiteEntry]:
    """Every suite the workspace knows, by name: files first (valid or not), then suites known from runs."""
    root = Path(workspace) if workspace is not None else None
    if root is not None and not root.exists():
        return []
    ws = _ws(workspace)
    runs: dict[str, list[dict[str, Any]]] = {}
    for m in ws.manifests():
        runs.setdefault(m["suite"], []).append(m)
    entries: dict[str, SuiteEntry] = {}
    files = [(p, "workspace") for p in ws.suite_files()]
    if (ws.root / _DEMO_SUITE_FILE).is_file():
        files.append((ws.root / _DEMO_SUITE_FILE, "demo"))
    for path, where in files:
        fallback = path.parent.name if where == "workspace" else "demo"
        try:
            s = load_suite(path)
        except EvalcoreError as exc:
            entries.setdefault(fallback, SuiteEntry(fallback, where, str(path), [], [], None,
                                                    len(runs.get(fallback, [])), str(exc)))
            continue
        entries.setdefault(s.name, SuiteEntry(s.name, where, str(path), [c.name for c in s.candidates],
                                              [x.label for x in s.scorers], s.dataset, len(runs.get(s.name, []))))
    for name, ms in runs.items():
        if name in entries:
            continue
        config = ms[0].get("config") or {}
        cands = [c.get("name", "?") for c in config.get("candidates", []) if isinstance(c, dict)]
        scorers = [x.get("name") or x.get("type", "?") for x in config.get("scorers", []) if isinstance(x, dict)]
        entries[name] = SuiteEntry(name, "runs only", None, cands, scorers, config.get("dataset"), len(ms))
    return sorted(entries.values(), key=lambda e: (e.where == "runs only", e.name))


def load_document(workspace: str | Path | None, name: str) -> dict[str, Any]:
    """The suite file as written (a dict), to edit without losing keys a form does not show. A file that is not
    YAML (or not UTF-8) is a `SuiteError` with its line, as `evalcore validate` says it, not a parser's traceback."""
    path = suite_path(workspace, name)
    if path is None:
        raise SuiteError(f"suite '{name}' has no suite file in this workspace.",
                         hint="Create it on the Data page, or run it from the CLI where its file lives.")
    data = read_suite_yaml(read_suite_text(path), str(path))
    if not isinstance(data, dict):
        raise SuiteError("expected a mapping of keys.", file=str(path))
    return data


def save_suite(workspace: str | Path | None, data: dict[str, Any], *, replace: str | None = None) -> Suite:
    """Validate `data` as a suite and write it to `suites/<name>/suite.yaml` atomically; returns the suite.

    `replace` names the suite being edited; without it, a suite of that name must not exist yet. Raises
    `SuiteError` (naming the key) and writes nothing when the suite is invalid."""
    import yaml

    ws = Workspace(workspace)
    name = data.get("name") if isinstance(data, dict) else None
    file = f"suites/{name}/suite.yaml" if isinstance(name, str) else "suite.yaml"
    base = ws.suite_dir(name) if isinstance(name, str) and name and "/" not in name else ws.suites_dir()
    try:
        suite = parse_suite(data, file=file, base_dir=base.resolve())  # the name pattern forbids '/' and '..'
    except SuiteError as exc:
        raise _in_table_words(exc) from None
    if replace is None and ws.suite_file(suite.name).exists():
        raise SuiteError(f"a suite named '{suite.name}' already exists in this workspace.",
                         hint="Pick another name, or edit that suite.")
    twins = [p.parent.name for p in ws.suite_files() if p.parent.name.lower() == suite.name.lower()
             and p.parent.name != suite.name]
    if replace is None and twins:  # one folder on macOS and Windows: the new suite would overwrite the other
        raise SuiteError(f"a suite named '{twins[0]}' already exists; '{suite.name}' differs only in case.",
                         hint="Pick a name that differs in more than case, or edit that suite.")
    if replace is not None and replace != suite.name:
        raise SuiteError(f"the name cannot change while editing ('{replace}' to '{suite.name}').",
                         hint="Create a new suite under the new name instead.")
    on_disk = _suite_on_disk(ws, replace)
    _refuse_new_code(suite, on_disk, file)
    _refuse_new_servers(suite, on_disk, file)
    text = yaml.safe_dump(suite.model_dump(mode="json", by_alias=True, exclude={"base_dir"}, exclude_defaults=True)
                          | {"name": suite.name, "prompt": data["prompt"], "dataset": suite.dataset},
                          sort_keys=False, allow_unicode=True)
    load_check = parse_suite(yaml.safe_load(text), file=file, base_dir=base.resolve())  # what we write reads back
    if load_check != suite:
        raise SuiteError("internal: the suite file would not read back as written.", file=file)
    target = ws.suite_file(suite.name)
    if replace is not None and comment_lines(target):  # the form writes the suite model, not the author's text
        atomic_write_bytes(target.with_name(BACKUP_NAME), target.read_bytes())
    atomic_write_bytes(target, text.encode("utf-8"))
    return load_suite(target)


BACKUP_NAME = "suite.yaml.bak"


def comment_lines(path: Path) -> int:
    """How many lines of a suite file hold a YAML comment. Saving from the Data page writes the suite model back,
    so they are dropped (PyYAML keeps no comments); the page warns first and `save_suite` keeps the previous file
    as suite.yaml.bak beside it. A '#' inside a quoted value may be counted: it only adds a warning."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 0
    return sum(1 for line in text.splitlines() if line.lstrip().startswith("#") or " #" in line)


_ROW_PATH = re.compile(r"\b(candidates|scorers)\.(\d+)\b")


def _table_words(text: str) -> str:
    """'candidates.1.name' (the suite model's 0-based key path) as the form's tables number their rows:
    'candidates row 2, name', as the form's own messages ('candidates row 1, column params') already did."""
    text = _ROW_PATH.sub(lambda m: f"{m[1]} row {int(m[2]) + 1},", text).replace(",.", ", ")
    return text.replace("List should have at least 1 item after validation, not 0", "add at least one row")


def _in_table_words(exc: SuiteError) -> SuiteError:
    problems = [SuiteProblem(_table_words(p.message), p.field, p.line) for p in exc.problems]
    return SuiteError(_table_words(exc.message), file=exc.file, row=exc.row, column=exc.column,
                      hint=_table_words(exc.hint) if exc.hint else None, line=exc.line, field=exc.field,
                      problems=problems)


def _code_functions(suite: Suite) -> list[tuple[int, str]]:
    """(scorer row, 'module:function') of the suite's python scorers: each runs code on the machine that scores."""
    return [(i, sc.function) for i, sc in enumerate(suite.scorers, start=1) if isinstance(sc, PythonScorer)]


def _suite_on_disk(ws: Workspace, replace: str | None) -> Suite | None:
    """The suite being edited as its file on disk reads now (what someone with the file wrote), or None."""
    if replace is None or not ws.suite_file(replace).exists():
        return None
    try:
        return load_suite(ws.suite_file(replace))
    except EvalcoreError:
        return None


def _refuse_new_code(suite: Suite, on_disk: Suite | None, file: str) -> None:
    """This module writes what a web form sends, and importing outputs scores them at once: a python scorer added
    there would run any installed function on the dashboard's machine (`shutil:rmtree` on a path sent as an
    output deleted a folder). A python scorer already in the file on disk, written by someone with access to it,
    stays; the form may not add one or change its function."""
    before = {f for _, f in _code_functions(on_disk)} if on_disk is not None else set()
    for row, function in _code_functions(suite):
        if function not in before:
            raise SuiteError(
                f"scorers row {row}: a python scorer ('{function}') runs code on the dashboard's machine, so it "
                "cannot be added from here.",
                file=file, hint="Write it into suite.yaml by hand, next to the module it names, where whoever runs "
                                "the dashboard can review it; choose another scorer type here.")


_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def _refuse_new_servers(suite: Suite, on_disk: Suite | None, file: str) -> None:
    """A call sends the candidate's API key (its `api_key_env`, else the provider's default one) to its `api_base`,
    so a form that could point a candidate at any server would hand the dashboard's keys to whoever runs it. The
    form may set a server on this machine, or keep one already in the file on disk; any other is written into
    suite.yaml by hand."""
    from urllib.parse import urlsplit

    def servers(s: Suite) -> list[tuple[str, str | None]]:  # (table row, api_base) of candidates and judges
        return ([(f"candidates row {i}", c.api_base) for i, c in enumerate(s.candidates, start=1)]
                + [(f"scorers row {i}", sc.api_base) for i, sc in enumerate(s.scorers, start=1)
                   if isinstance(sc, LlmJudgeScorer)])

    before = {base for _, base in servers(on_disk) if base} if on_disk is not None else set()
    for where, base in servers(suite):
        if not base or base in before:
            continue
        host = (urlsplit(base).hostname or "").lower()
        if host not in _LOOPBACK:
            raise SuiteError(
                f"{where}, api_base: '{base}' is a new server, and a run would send it an API key, so it cannot be "
                "set from here.", file=file,
                hint="Use a server on this machine (http://127.0.0.1:PORT/v1), or write the address into suite.yaml "
                     "by hand, where whoever runs the dashboard can review it.")


def _staged(data: bytes, filename: str) -> tempfile.TemporaryDirectory[str]:
    folder = tempfile.TemporaryDirectory(prefix="evalcore-upload-")
    (Path(folder.name) / Path(filename).name).write_bytes(data)
    return folder


def preview_examples(data: bytes, filename: str, columns: Columns = Columns(), *,
                     encoding: str | None = None) -> list[Example]:
    """Validate uploaded examples without touching any workspace (the same checks and messages as the CLI)."""
    from evalcore.ingest import load_examples

    with _staged(data, filename) as folder:
        return load_examples(Path(folder) / Path(filename).name, columns, encoding=encoding,
                             display_name=Path(filename).name)


PROMPT_CHECK_EXAMPLES = 200  # rendering is ~0.1 ms an example; a preview checks this many, the run all of them


def prompt_problem(suite_file: Path | str, examples: list[Example]) -> str | None:
    """Why the suite's prompt cannot be rendered for these examples (a column it names that they lack, an empty
    message, a template error), naming the row; None when it renders for the first PROMPT_CHECK_EXAMPLES. The
    upload said "N valid examples" and the run then failed on `{{ nosuchcol }}` for every row (audit)."""
    from evalcore.prompt_render import render_messages

    try:
        render_messages(load_suite(suite_file), examples[:PROMPT_CHECK_EXAMPLES])
    except SuiteError as exc:  # its file is the suite's current dataset; the row is the uploaded file's
        where = f"row {exc.row}: " if exc.row is not None else ""
        return f"{where}{exc.message}" + (f" {exc.hint}" if exc.hint else "")
    return None


EXAMPLES_BACKUP_SUFFIX = ".bak"  # the dataset an upload replaced, beside it: examples.csv -> examples.csv.bak


@dataclass(frozen=True)
class ExamplesChange:
    """What making `new` examples a suite's dataset changes, by example id, for the page to show before it saves
    (a 3-row test export replaced a curated 12-example set with one click, and nothing said which ids went)."""

    current: int  # examples in the suite's dataset now (0 when it has none or cannot be read)
    new: int
    kept: list[str]  # ids in both, in the new file's order
    removed: list[str]  # ids only in the current dataset, in its order
    added: list[str]  # ids only in the new file
    input_changed: list[str]  # kept ids whose input text differs
    backup: str | None = None  # the file the current dataset is kept as when saved (None: there is none)
    problem: str | None = None  # why the current dataset could not be read (then nothing is compared)

    @property
    def replaces(self) -> bool:
        """Whether saving drops or rewrites anything the suite has now (a removed id or a changed input)."""
        return bool(self.removed or self.input_changed)

    def lines(self) -> list[str]:
        """The difference in words, first the counts, then the ids (the first few of each)."""
        from evalcore.formatting import count

        def ids(items: list[str]) -> str:
            from evalcore.errors import listing

            return listing([f"'{i}'" for i in items], limit=8)

        if self.problem is not None:
            return [f"The current dataset cannot be read ({self.problem}), so it cannot be compared; saving replaces "
                    "it" + (f" and keeps it as {self.backup}." if self.backup else ".")]
        if not self.current:
            return [f"The suite has no examples yet: {count(self.new, 'new example')}."]
        out = [f"Replaces the suite's {count(self.current, 'example')} with {count(self.new, 'example')}: "
               f"{len(self.kept)} kept, {len(self.removed)} removed, {len(self.added)} new; "
               f"{count(len(self.input_changed), 'input')} changed."]
        if self.removed:
            out.append(f"Removed: {ids(self.removed)}.")
        if self.input_changed:
            out.append(f"Input changed: {ids(self.input_changed)}.")
        if self.added:
            out.append(f"New: {ids(self.added)}.")
        if self.replaces:
            out.append("Runs already made keep their results for the removed examples and the old inputs; run the "
                       "suite again to measure the new dataset."
                       + (f" The current file is kept as {self.backup}." if self.backup else ""))
        return out

    def button(self) -> str:
        """The save button's words, with the counts: "Replace the 12 examples with these 3"."""
        from evalcore.formatting import count

        these = "this one" if self.new == 1 else f"these {self.new}"
        if self.current and self.problem is None:
            return f"Replace the {count(self.current, 'example')} with {these}"
        return "Use this example" if self.new == 1 else f"Use these {count(self.new, 'example')}"


def compare_examples(current: list[Example], new: list[Example]) -> tuple[list[str], list[str], list[str], list[str]]:
    """(kept, removed, added, input_changed) ids between a current and a new example list."""
    before = {e.id: e for e in current}
    after = {e.id for e in new}
    kept = [e.id for e in new if e.id in before]
    removed = [e.id for e in current if e.id not in after]
    added = [e.id for e in new if e.id not in before]
    changed = [e.id for e in new if e.id in before and before[e.id].input != e.input]
    return kept, removed, added, changed


def _backup_of(dataset: Path, suite_dir: Path) -> Path:
    return suite_dir / f"{dataset.name}{EXAMPLES_BACKUP_SUFFIX}"


def _current_dataset(suite: Suite) -> Path | None:
    try:
        path = suite.dataset_path
    except SuiteError:  # a dataset outside the suite's folder is not read here (nor backed up)
        return None
    return path if path.is_file() else None


def current_version(workspace: str | Path | Workspace | None, name: str) -> str | None:
    """The version (`runner.suite_version`: examples, prompt, scorers) suite `name`'s file in the workspace's suites
    folder has now, or None when it has none there (a suite run from elsewhere) or it cannot be read: results of
    another version were measured on a dataset or prompt that is no longer the suite's (audit 5: Overview kept
    deciding on 6 examples after the Data page replaced them with 3)."""
    from evalcore.ingest import load_examples
    from evalcore.runner import suite_version

    ws = workspace if isinstance(workspace, Workspace) else _ws(workspace)
    if ws.remote is not None:
        return None
    path = ws.suite_file(name)
    if not path.is_file():
        return None
    try:
        suite = load_suite(path)
        dataset = _current_dataset(suite)
        if dataset is None:
            return None
        examples = load_examples(dataset, suite.columns, display_name=suite.dataset,
                                 allow_empty_input=suite.allow_empty_input)
    except EvalcoreError:  # a broken suite file or dataset is the Data page's to report, not the leaderboard's
        return None
    return suite_version(suite, examples)


def _examples_suite(ws: Workspace, name: str) -> Suite:
    """The workspace suite whose examples are uploaded, or the error saying to create it first."""
    path = ws.suite_file(name)
    if not path.is_file():
        raise SuiteError(f"suite '{name}' has no suite file in this workspace's suites folder.",
                         hint="Create the suite first (Data page), then upload its examples.")
    return load_suite(path)


def examples_change(workspace: str | Path | None, name: str, new: list[Example]) -> ExamplesChange:
    """How `new` examples differ from suite `name`'s current dataset (kept, removed, new ids, changed inputs), and
    the file `save_examples` would keep the current one as. Reads, never writes."""
    from evalcore.ingest import load_examples

    ws = _ws(workspace)
    suite = _examples_suite(ws, name)
    dataset = _current_dataset(suite)
    backup = _backup_of(dataset, ws.suite_dir(name)).name if dataset is not None else None
    if dataset is None:
        return ExamplesChange(0, len(new), [], [], [e.id for e in new], [])
    try:
        current = load_examples(dataset, suite.columns, display_name=suite.dataset,
                                allow_empty_input=suite.allow_empty_input)
    except EvalcoreError as exc:
        return ExamplesChange(0, len(new), [], [], [e.id for e in new], [], backup, str(exc).splitlines()[0])
    kept, removed, added, changed = compare_examples(current, new)
    return ExamplesChange(len(current), len(new), kept, removed, added, changed, backup)


def save_examples(workspace: str | Path | None, name: str, data: bytes, filename: str, *,
                  encoding: str | None = None) -> list[Example]:
    """Validate uploaded examples for a workspace suite, then make them its dataset, atomically.

    Text in another encoding is stored as UTF-8, so later runs read it without `--encoding`. The dataset keeps
    the upload's format (`examples.csv`, `.jsonl` or `.parquet`); the suite file is pointed at it when the
    format changed. The dataset replaced is kept beside it as `<its name>.bak` (examples.csv.bak, the previous
    one only), as `save_suite` keeps suite.yaml.bak. Raises `IngestError` (every problem, with row and column)
    and writes nothing otherwise."""
    ws = Workspace(workspace)
    suite = _examples_suite(ws, name)
    path = ws.suite_file(name)
    suffix = Path(filename).suffix.lower()
    examples = preview_examples(data, filename, suite.columns, encoding=encoding)
    if encoding and suffix != ".parquet":
        import codecs

        if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
            data = data.decode(encoding).encode("utf-8")  # it decoded cleanly above
    kind = {".tsv": ".tsv", ".txt": ".csv", ".ndjson": ".jsonl"}.get(suffix, suffix)
    target = ws.suite_dir(name) / f"examples{kind}"
    current = _current_dataset(suite)
    if current is not None:  # one click replaced a curated dataset for good (audit 5)
        atomic_write_bytes(_backup_of(current, ws.suite_dir(name)), current.read_bytes())
    atomic_write_bytes(target, data)
    if suite.dataset != target.name:
        doc = load_document(ws.root, name)
        doc["dataset"] = target.name
        save_suite(ws.root, doc, replace=name)
    return examples


def import_uploaded_outputs(workspace: str | Path | None, name: str, data: bytes, filename: str, *,
                            candidate: str | None = None, encoding: str | None = None) -> Any:
    """`evalcore.outputs_import.import_outputs` for an uploaded file of a suite kept here: the upload is staged
    outside the workspace, so a rejected file leaves no trace. Returns the ImportSummary."""
    from evalcore.outputs_import import import_outputs

    path = suite_path(workspace, name)
    if path is None:
        raise SuiteError(f"suite '{name}' has no suite file in this workspace.",
                         hint="Outputs are scored with the suite's scorers: create or upload the suite first.")
    suite = load_suite(path)
    with _staged(data, filename) as folder:
        return import_outputs(Path(folder) / Path(filename).name, suite, Workspace(workspace, create=False).uri,
                              candidate=candidate, encoding=encoding, display_name=Path(filename).name)


# -------------------------------------------------------------------------------------------- the form


def candidate_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A suite document's candidates as flat table rows (params as JSON text) for an editable table."""
    rows = []
    for c in doc.get("candidates") or []:
        if not isinstance(c, dict):
            continue
        row = {k: c.get(k) for k in CANDIDATE_FIELDS if k != "params"}
        row["release"] = None if row["release"] is None else str(row["release"])
        row["params"] = json.dumps(c["params"]) if c.get("params") else ""
        rows.append(row)
    return rows


def scorer_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A suite document's scorers as rows: type, name, and the other options as JSON text."""
    rows = []
    for s in doc.get("scorers") or []:
        if not isinstance(s, dict):
            continue
        options = {k: v for k, v in s.items() if k not in ("type", "name")}
        rows.append({"type": s.get("type"), "name": s.get("name"),
                     "options": json.dumps(options, ensure_ascii=False) if options else ""})
    return rows


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def _json_cell(text: Any, table: str, row: int, column: str) -> dict[str, Any]:
    if _blank(text):
        return {}
    try:
        value = json.loads(str(text))
    except ValueError as exc:
        raise SuiteError(f"{table} row {row}, column '{column}': not valid JSON ({exc.msg}).",
                         hint='Write an object such as {"temperature": 0, "max_tokens": 50}, or leave it empty.',
                         ) from None
    if not isinstance(value, dict):
        raise SuiteError(f"{table} row {row}, column '{column}': expected a JSON object {{...}}.",
                         hint='For example {"temperature": 0}.')
    return value


def apply_form(doc: dict[str, Any], *, candidates: list[dict[str, Any]], scorers: list[dict[str, Any]],
               **fields: Any) -> dict[str, Any]:
    """A new suite document: `doc` with its candidates and scorers replaced by the edited table rows and any
    top-level `fields` (name, description, prompt, dataset) set. Empty rows are dropped; empty cells mean
    "not set". Raises `SuiteError` naming the table, row and column of a cell that cannot be read."""
    out = dict(doc)
    for key, value in fields.items():
        if not _blank(value) or key == "description":
            out[key] = value if not isinstance(value, str) else value.strip() if key != "prompt" else value
    cands = []
    for i, row in enumerate(candidates, start=1):
        if all(_blank(row.get(k)) for k in CANDIDATE_FIELDS):
            continue
        c: dict[str, Any] = {}
        for key in CANDIDATE_FIELDS:
            value = row.get(key)
            if key == "params":
                params = _json_cell(value, "candidates", i, "params")
                if params:
                    c["params"] = params
            elif not _blank(value):
                c[key] = value.strip() if isinstance(value, str) else value
        cands.append(c)
    out["candidates"] = cands
    scs = []
    for i, row in enumerate(scorers, start=1):
        if all(_blank(row.get(k)) for k in SCORER_FIELDS):
            continue
        s: dict[str, Any] = {"type": row.get("type")}
        if not _blank(row.get("name")):
            s["name"] = str(row["name"]).strip()
        s.update(_json_cell(row.get("options"), "scorers", i, "options"))
        scs.append(s)
    out["scorers"] = scs
    return out
