"""Import httpcore without trio: the fetcher runs on asyncio only.

httpcore imports trio whenever it is installed, to tell a trio event loop from asyncio;
here trio is only ever a development dependency (selenium's), and importing it cost every
fetcher start ~0.1 s of CPU before the first request (a third of httpx's import). Hidden for
that one import only, so anything that imports trio later still gets it.
"""

from __future__ import annotations

import sys

if "httpcore" not in sys.modules and "trio" not in sys.modules:
    sys.modules["trio"] = None  # type: ignore[assignment]  # ``import trio`` -> ImportError
    try:
        import httpcore  # noqa: F401
    finally:
        del sys.modules["trio"]
