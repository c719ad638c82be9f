"""How to start the dashboard: the ``streamlit run`` command line (no Streamlit import)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")


def command(store: str | os.PathLike[str] | None = None, port: int = 8501,
            host: str = "127.0.0.1") -> list[str]:
    """The argv that serves the dashboard on ``host:port`` over ``store``.

    Args:
        store: the store file; passed to the app as ``-- --store PATH``. Without it the app
            falls back to ``$PARALLAX_STORE``, then ``./parallax.db``.
        port: the TCP port.
        host: the address to bind; the default serves this machine only.

    Returns:
        The command for ``subprocess.run``; headless, no usage statistics sent.
    """
    argv = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless", "true",
        "--server.address", str(host),
        "--server.port", str(int(port)),
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
    ]
    if store:
        argv += ["--", "--store", str(Path(store).resolve())]
    return argv
