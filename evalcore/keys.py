"""API keys: read from the environment or `.streamlit/secrets.toml`, never written anywhere.

Kept apart from evalcore.llm so the CLI can load keys without importing litellm.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

SECRETS_FILE = Path(".streamlit/secrets.toml")


def load_secrets_env(path: str | Path = SECRETS_FILE) -> list[str]:
    """Export top-level UPPERCASE string values of a secrets file into the environment (existing variables
    win). Returns the names exported, never the values."""
    p = Path(path)
    if not p.exists():
        return []
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return []
    names = []
    for key, value in data.items():
        if isinstance(value, str) and key.isupper() and key not in os.environ:
            os.environ[key] = value
            names.append(key)
    return names

