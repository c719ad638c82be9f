from __future__ import annotations

import pandas as pd

from compare.facts.numbers import find_figures, unique_figures


def test_counts_are_read_and_dates_times_years_are_not():
    got = {(f.value, f.noun) for f in find_figures(
        "Almost 14,000 civilians were killed; 8 people died and 30 wounded, injuring four "
        "soldiers 40 miles away. On 29 March 2022 at 18:44 (29.03.22) talks began in 2014 style.")}
    assert got == {(14000, "civilians"), (8, "people"), (30, "wounded"), (4, "soldiers"),
                   (40, "miles")}


def test_scales_and_percentages():
    got = {f.value for f in find_figures("Aid of $2.5 billion, 3 percent more, 2,000 troops.")}
    assert got == {2.5e9, 3, 2000}


def test_a_figure_only_one_outlet_states_is_unique():
    passages = pd.DataFrame({
        "passage_id": ["p1", "p2", "p3"], "event_id": ["e"] * 3, "topic_id": ["t", "t", "u"],
        "outlet": ["Opinion", "Official", "Wire"],
        "text": ["Almost 14,000 civilians have been killed.", "So far 8 people were killed.",
                 "Officials said 8 people were killed in the strike."],
    })
    rows = unique_figures(passages, pd.DataFrame())
    assert list(rows["outlet"]) == ["Opinion"]
    assert rows.loc[0, "kind"] == "unique_figure" and rows.loc[0, "topic_id"] == "t"
    assert rows.loc[0, "topic_label"].startswith("14,000 civilians: Almost 14,000")


def test_spelled_counts_are_the_ones_the_details_read() -> None:
    # One table of spelled-out numbers for figures and for the details' counts; the longer
    # word wins ("sixteen" is not "six").
    assert [f.value for f in find_figures("Sixteen people were killed.")] == [16.0]
    assert [f.value for f in find_figures("Forty soldiers and six medics.")] == [40.0, 6.0]
