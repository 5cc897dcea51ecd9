"""The `newswatch` console script.

``newswatch health`` runs every few seconds in every container (compose healthchecks), so it
skips importing the other commands (the classifier's scientific stack among them): on a
loaded machine that import alone outlasts a healthcheck's timeout. Everything else goes to
``newswatch.cli``.
"""

from __future__ import annotations

import sys


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["health"]:
        from newswatch.cli_health import health

        health.main(args=args[1:], prog_name="newswatch health")
        return
    from newswatch.cli import main as cli_main

    cli_main()
