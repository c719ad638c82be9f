"""The pairs labelled in the project resolve to their texts in ../shared/data, stay out of the
test fold, and never repeat a pair of the shared gold."""
from __future__ import annotations

import json

import pytest

from compare.training.claims import LABELLED, PENDING, read_labelled_pool
from tests.shared_data import DATA, need

pytestmark = pytest.mark.real


def test_every_labelled_pair_reads_its_texts_and_is_train_only() -> None:
    need("claims/pairs.jsonl")
    files = LABELLED + PENDING
    pairs = read_labelled_pool(files, DATA, usable=False)
    assert len(LABELLED) == 4 and len(PENDING) == 2
    assert len({p.pair_id for p in pairs}) == len(pairs)
    assert len(pairs) == sum(1 for path in files
                             for line in path.open(encoding="utf-8") if line.strip())
    assert {p.fold for p in pairs} == {"train"}
    assert all(p.text_a.strip() and p.text_b.strip() for p in pairs)
    shared = {}
    with (DATA / "claims" / "pairs.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            shared[frozenset((row["a"]["text"], row["b"]["text"]))] = row["fold"]
    test_events = _test_events()
    assert not [p for p in pairs if frozenset((p.text_a, p.text_b)) in shared]
    assert not [p for p in pairs if (p.dataset, p.event_id) in test_events]


def _test_events() -> set[tuple[str, str]]:
    """(dataset, event) of the shared gold's test fold where the fold is fixed by event."""
    events = set()
    with (DATA / "claims" / "pairs.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["fold"] == "test" and row["dataset"] in ("basil", "newswcl50"):
                events.add((row["dataset"], row["event_id"]))
    return events


def test_the_labelled_file_holds_no_text() -> None:
    for path in LABELLED + PENDING:
        with path.open(encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        assert not [r for r in rows if "text" in r["a"] or "text" in r["b"]]
