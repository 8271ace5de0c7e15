"""Start the dashboard with its libraries already loaded: `python dashboard/serve.py [streamlit run options]`.

`streamlit run dashboard/app.py` imports nothing of ours until the first person opens a page, so that person
waits for pandas, DuckDB, pyarrow, SciPy, Altair and the evalcore modules the pages use (~1.5 s here) on top of
the page itself. This launcher imports them first and then hands over to Streamlit's own `run` command in the
same process, so the server answers its health check only once a first visit can be fast. litellm is not
loaded (pages that do not run models never import it). Everything else is plain `streamlit run`: options,
`.streamlit/config.toml` and secrets work as documented. Hosts that call `streamlit run` themselves (Streamlit
Community Cloud) still work; only their first visit pays the imports.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def preload() -> None:
    """Import what every viewer page needs and let Altair load its Vega-Lite schema once."""
    import altair as alt
    import duckdb  # noqa: F401
    import numpy  # noqa: F401
    import pandas as pd
    import pyarrow.parquet  # noqa: F401
    import scipy.stats  # noqa: F401

    import evalcore.analysis  # noqa: F401
    import evalcore.charts  # noqa: F401
    import evalcore.explore  # noqa: F401
    import evalcore.labels  # noqa: F401
    import evalcore.queries  # noqa: F401
    import evalcore.stats  # noqa: F401

    alt.Chart(pd.DataFrame({"x": [0.0]})).mark_point().encode(x="x:Q").to_dict()
    skip_bare_python_check()


def skip_bare_python_check() -> None:
    """Streamlit's first element in a process checks whether it runs in a bare REPL (to print "use streamlit
    run") with `inspect.stack()`, which reads the source of every frame of the script thread: 0.13-0.2 s of the
    first visitor's page here. This launcher is `streamlit run`, so the answer is known: mark the check done."""
    from streamlit import delta_generator

    if not hasattr(delta_generator, "_use_warning_has_been_displayed"):
        raise RuntimeError("streamlit.delta_generator._use_warning_has_been_displayed is gone: update serve.py")
    delta_generator._use_warning_has_been_displayed = True


def main(argv: list[str] | None = None) -> None:
    preload()
    from streamlit.web import cli

    cli.main(["run", str(APP), *(sys.argv[1:] if argv is None else argv)], prog_name="streamlit")


if __name__ == "__main__":
    main()
