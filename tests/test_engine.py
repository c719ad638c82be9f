"""The Ray engine gives the local engine's run: the same run id and the same exported bytes.

Ray runs on this machine with 2 CPUs (``ray.init(num_cpus=2)``). Ray is the ``ray`` extra: a
developer's checkout without it skips these tests, CI (``CI=true``) fails them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from compare.analyze import analyze
from compare.engine import EventJob, LocalEngine, make_engine
from compare.errors import SettingsError
from compare.export.writer import EXPORTABLE, table, to_bytes
from compare.facts.verifier import load_verifier
from compare.settings import AnalysisSettings
from compare.waves import event_facts
from compare.workflows import DEMO_SCOPE, describe_store
from corpus.collect import CollectSettings, collect
from corpus.store import Store
from tests.analysis_fixture import write_records
from tests.shared_data import missing, need

RAY = {"num_cpus": 2}


@pytest.fixture(scope="module")
def ray_installed():
    try:
        import ray  # noqa: F401
    except ImportError:
        missing("Ray is not installed: pip install -e '.[test,ray]'")


# Every table of the run (``articles`` is the collection's: it holds when each was collected).
RUN_TABLES = [what for what in EXPORTABLE if what != "articles"]


def _exported(store: Store) -> dict[str, bytes]:
    """Every table of the latest run as the CSV bytes `parallax export` writes."""
    return {what: to_bytes(table(store, what)[0], "csv", {}) for what in RUN_TABLES}


def _both(tmp_path, sources, collect_settings=None, ray_settings=RAY, **options):
    """The local and the Ray run of the same sources, each in its own store from scratch."""
    out = {}
    for engine in ("local", "ray"):
        with Store(tmp_path / f"{engine}.db") as store:
            collect(sources, store, collect_settings)
            run = analyze(store, engine=engine, engine_settings=ray_settings, **options)
            out[engine] = (run, _exported(store))
    return out


def _assert_same(out):
    (local, local_bytes), (ray, ray_bytes) = out["local"], out["ray"]
    assert ray.run_id == local.run_id
    assert not local.failed_events and not ray.failed_events
    for what in RUN_TABLES:
        assert ray_bytes[what] == local_bytes[what], what


def test_ray_run_equals_local_run_on_the_fixture(tmp_path, ray_installed):
    # Small chunks and tasks: several encoder calls, actors and event tasks (hashing vectors
    # do not depend on their chunk, so the tables must still be equal).
    out = _both(tmp_path, [str(write_records(tmp_path))], embedder="hashing:512",
                ray_settings={**RAY, "encode_batch": 4, "event_passages": 5})
    _assert_same(out)
    assert out["ray"][0].work["events_recomputed"] == 2


def test_an_event_that_fails_is_recorded_and_the_run_goes_on(tmp_path, monkeypatch):
    import compare.waves as module

    def fails_on_the_quake(event_id, passages, *rest):
        if passages["text"].str.contains("earthquake").any():
            raise ValueError("no fact rows for this one")
        return event_facts(event_id, passages, *rest)

    monkeypatch.setattr(module, "event_facts", fails_on_the_quake)
    with Store(tmp_path / "s.db") as store:
        collect([str(write_records(tmp_path))], store)
        run = analyze(store, embedder="hashing:512")
        quake = run.events.loc[run.events.source_id == "quake-0", "event_id"].iloc[0]
        assert run.failed_events == {quake: "ValueError: no fact rows for this one"}
        assert set(run.topics["event_id"]) == set(run.events["event_id"]) - {quake}
        assert (run.passages.loc[run.passages.event_id == quake, "topic_id"] == "").all()
        items = store.items(run.run_id, "failed")
        assert list(items["source"]) == [quake] and list(items["stage"]) == ["facts"]
        assert f"{quake} [facts]: ValueError: no fact rows for this one" in describe_store(store)
        # A new article makes a new run: the talks are reused, the failed quake is not.
        monkeypatch.setattr(module, "event_facts", event_facts)
        later = tmp_path / "later.jsonl"
        later.write_text(json.dumps({
            "id": "match-0", "outlet": "Wire Service", "url": "https://o0.example/match",
            "title": "Cup final", "published": "2022-09-01",
            "text": "The home side won the cup final 2-1 after extra time."}) + "\n")
        collect([str(later)], store)
        again = analyze(store, embedder="hashing:512")
        assert not again.failed_events and quake in set(again.topics["event_id"])
        assert again.work["events_reused"] == 1 and again.work["events_recomputed"] == 2
        assert "failed items" not in describe_store(store)


def _jobs():
    passages = pd.DataFrame({"text": ["Russia said it would reduce activity near Kyiv.",
                                      "Moscow pledged to scale back forces near Kyiv."],
                             "language": ["en", "en"], "outlet": ["A", "B"],
                             "passage_id": ["p1", "p2"], "article_id": ["a1", "a2"],
                             "is_quote": [False, False], "speaker": ["", ""],
                             "source_id": ["a1", "a2"], "url": ["u1", "u2"],
                             "published": ["2022-03-29"] * 2, "event_id": ["e"] * 2,
                             "topic_id": ["", ""], "index": [0, 0], "char_start": [0, 0],
                             "char_end": [47, 46]})
    vectors = np.eye(2, 512, dtype=np.float32)
    good = EventJob("good", passages, vectors, np.eye(2, 384, dtype=np.float32), None)
    broken = EventJob("broken", passages.drop(columns="language"), vectors, vectors, None)
    return [good, broken]


def test_ray_records_a_failed_event_with_its_reason(ray_installed):
    engine = make_engine("ray", settings=dict(RAY, event_passages=1))
    try:
        ray_out = engine.map_events(event_facts, _jobs(), AnalysisSettings(), load_verifier())
    finally:
        engine.close()
    local_out = LocalEngine().map_events(event_facts, _jobs(), AnalysisSettings(),
                                         load_verifier())
    assert [o.event_id for o in ray_out] == ["good", "broken"]
    assert not ray_out[0].failed and ray_out[1].reason == local_out[1].reason
    assert ray_out[1].reason.startswith("KeyError")
    assert json.dumps(ray_out[0].result.topics, sort_keys=True) == \
        json.dumps(local_out[0].result.topics, sort_keys=True)


def test_torch_encoders_ask_for_a_gpu_when_the_cluster_has_one(ray_installed):
    import torch

    from compare.embed.embedders import HashingEmbedder

    class DeviceProbe(HashingEmbedder):
        """Vectors that say whether Ray gave the actor a GPU and whether it moved to it."""

        def __init__(self) -> None:
            super().__init__(8)
            self.moved = 0.0

        def on_device(self, device: str) -> None:
            self.moved = 1.0

        def encode(self, texts):
            import ray

            out = np.zeros((len(texts), 8), dtype=np.float32)
            out[:, 0], out[:, 1] = len(ray.get_gpu_ids()), self.moved
            return out

    # A Ray told it has one GPU: each torch encoder's actor asks for it, the others do not.
    engine = make_engine("ray", settings=dict(RAY, num_gpus=1))
    try:
        assert engine.encoder_gpus(DeviceProbe()) == 1.0
        assert engine.encoder_gpus(HashingEmbedder(8)) == 0.0
        vectors = list(engine.encode_chunks(DeviceProbe(), [["a", "b"], ["c"]]))
    finally:
        engine.close()
    assert [v[:, 0].tolist() for v in vectors] == [[1, 1], [1]]
    # Where torch sees no GPU (this machine) the actor encodes on CPU.
    assert {float(v[0, 1]) for v in vectors} == {float(torch.cuda.is_available())}
    engine = make_engine("ray", settings=RAY)  # no GPU in the cluster: CPU actors
    try:
        assert engine.encoder_gpus(DeviceProbe()) == 0.0
    finally:
        engine.close()


def test_engine_names_and_settings_are_checked():
    with pytest.raises(SettingsError, match="unknown engine 'spark'"):
        make_engine("spark")
    with pytest.raises(SettingsError, match="needs --engine ray"):
        make_engine("local", address="auto")
    from compare.engine.ray_engine import RaySettings

    with pytest.raises(SettingsError, match=r"unknown key\(s\) batch"):
        RaySettings.from_dict({"batch": 3})
    with pytest.raises(SettingsError, match="encode_batch = 0"):
        RaySettings.from_dict({"encode_batch": 0})


@pytest.mark.real
def test_ray_run_equals_local_run_on_basil(tmp_path, ray_installed):
    _assert_same(_both(tmp_path, [str(need("basil/articles.jsonl"))]))


@pytest.mark.real
def test_ray_run_equals_local_run_on_the_istanbul_demo(tmp_path, ray_installed):
    sources = [str(need("ukraine")), str(need("istanbul/seed_article.jsonl")),
               str(need("istanbul/coverage_2022-03-28_31.jsonl"))]
    _assert_same(_both(tmp_path, sources, CollectSettings(scope=DEMO_SCOPE),
                       settings=AnalysisSettings(single_event=True)))


def test_the_local_engine_never_imports_ray(tmp_path):
    records = write_records(tmp_path)
    code = (
        "import sys\n"
        "from compare.analyze import analyze\n"
        "from corpus.collect import collect\n"
        "from corpus.store import Store\n"
        f"store = Store({str(tmp_path / 's.db')!r})\n"
        f"collect([{str(records)!r}], store)\n"
        "run = analyze(store, embedder='hashing:512')\n"
        "assert len(run.topics) > 0\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_cli_names_each_failed_event(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import compare.waves as module
    from compare.cli import app

    def fails_on_the_quake(event_id, passages, *rest):
        if passages["text"].str.contains("earthquake").any():
            raise ValueError("no fact rows for this one")
        return event_facts(event_id, passages, *rest)

    store = tmp_path / "s.db"
    with Store(store) as db:
        collect([str(write_records(tmp_path))], db)
    monkeypatch.setattr(module, "event_facts", fails_on_the_quake)
    done = CliRunner().invoke(app, ["analyze", "--store", str(store), "--lite"])
    assert done.exit_code == 0, done.output
    with Store(store, readonly=True) as db:
        failed = db.items(outcome="failed")
    assert len(failed) == 1
    assert f"failed  event {failed['source'].iloc[0]} [facts]: ValueError: no fact rows " \
        "for this one" in done.output
    assert "1 failed (listed below)" in done.output


def test_the_cli_refuses_an_unknown_engine_in_one_line(tmp_path):
    with Store(tmp_path / "s.db") as db:
        collect([str(write_records(tmp_path))], db)
    done = subprocess.run([sys.executable, "-m", "compare.cli", "analyze", "--store",
                           str(tmp_path / "s.db"), "--engine", "spark"], capture_output=True,
                          text=True, timeout=300, check=False,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 1
    assert done.stderr.strip() == "parallax: unknown engine 'spark': use one of local, ray"
