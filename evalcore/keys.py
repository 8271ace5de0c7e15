"""API keys: read from the environment or `.streamlit/secrets.toml`, never written anywhere.

Kept apart from evalcore.llm so the CLI can load keys without importing litellm.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from evalcore.errors import EvalcoreError

SECRETS_FILE = Path(".streamlit/secrets.toml")


def load_secrets_env(path: str | Path = SECRETS_FILE) -> list[str]:
    """Export top-level UPPERCASE string values of a secrets file into the environment (existing variables
    win). Returns the names exported, never the values. A file that cannot be parsed is an `EvalcoreError`
    naming it: ignored, it left every key unset and the run failed on "no API key" with the cause unsaid."""
    p = Path(path)
    if not p.exists():
        return []
    hint = "Its keys were not loaded: fix the file, or set the keys as environment variables instead."
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:  # its message ends "(at line 2, column 5)"
        raise EvalcoreError(f"not valid TOML: {exc}.", file=str(p), hint=hint) from None
    except UnicodeDecodeError as exc:
        err = EvalcoreError(f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x}).", file=str(p), hint=hint)
        err.line = exc.object[: exc.start].count(b"\n") + 1
        raise err from None
    names = []
    for key, value in data.items():
        if isinstance(value, str) and key.isupper() and key not in os.environ:
            os.environ[key] = value
            names.append(key)
    return names

