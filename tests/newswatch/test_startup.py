"""Commands start fast: the CLI module loads only click and light shared code.

A structural check, not a timing: importing ``newswatch.cli`` in a fresh interpreter must not
pull the libraries that cost seconds (scikit-learn, scipy, numpy, wordfreq) or those only
some commands need (SQLAlchemy, feedparser, Alembic). The times are measured with
``hyperfine`` (README, "Start-up").
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sklearn", "scipy", "numpy", "datasketch", "wordfreq", "selectolax", "feedparser",
         "alembic", "sqlalchemy", "httpx", "rq", "redis")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


CONFIG = ("pydantic", "pydantic_settings", "yaml")  # `--help` needs none of them either


def test_importing_the_cli_loads_no_heavy_library() -> None:
    loaded = _loaded_after("import newswatch.cli")
    assert loaded.isdisjoint(HEAVY + CONFIG), sorted(loaded & set(HEAVY + CONFIG))


def test_check_config_loads_no_scorer_or_database_library() -> None:
    statement = ("from newswatch.cli import main_group; "
                 "main_group.main(['check-config'], standalone_mode=False)")
    loaded = _loaded_after(statement)
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
