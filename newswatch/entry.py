"""The `newswatch` console script.

``newswatch health`` runs every few seconds in every container (compose healthchecks), so it
skips importing the other commands (the classifier's scientific stack among them): on a
loaded machine that import alone outlasts a healthcheck's timeout. Everything else goes to
``newswatch.cli``.

OpenBLAS (under numpy) starts a thread per extra core at import, with every signal unblocked;
CPython 3.11 can lose a SIGTERM that the kernel hands to such a thread (GH-109369), and our
matrices are too small to gain from BLAS threads, so newswatch runs OpenBLAS single-threaded
unless ``OPENBLAS_NUM_THREADS`` says otherwise.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    args = sys.argv[1:]
    if args[:1] == ["health"]:
        from newswatch.cli_health import health

        health.main(args=args[1:], prog_name="newswatch health")
        return
    from newswatch.cli import main as cli_main

    cli_main()
