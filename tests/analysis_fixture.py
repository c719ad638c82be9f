"""A small hand-written multi-outlet corpus: one peace-talks event told by four outlets in their
own words, and an unrelated earthquake told by two. Written for the tests, not real articles."""
from __future__ import annotations

import json
from pathlib import Path

TALKS = {
    "Wire Service": (
        "Russia said on Tuesday it would sharply reduce military activity near Kyiv and "
        "Chernihiv after peace talks with Ukraine in Istanbul.\n\n"
        "Ukraine proposed adopting a neutral status in exchange for security guarantees from "
        "several countries.\n\n"
        "Russian negotiator Vladimir Medinsky said the talks had been constructive.\n\n"
        "The United States said it would judge Moscow by its actions."
    ),
    "Capital Daily": (
        "Moscow pledged on Tuesday to scale back its invasion forces around Kyiv and Chernihiv "
        "following negotiations in Istanbul.\n\n"
        "Kyiv offered neutrality if a group of countries gives it security guarantees.\n\n"
        "Western officials reportedly doubted the promise, calling it a ploy to regroup.\n\n"
        "Civilians in Mariupol remained trapped by the brutal siege."
    ),
    "State Herald": (
        "The Russian Defence Ministry announced it would drastically reduce military activity "
        "near Kyiv and Chernihiv to build trust at the Istanbul talks.\n\n"
        "Medinsky said the special military operation's goals in Donbas remain unchanged.\n\n"
        "Ukraine proposed a neutral status and security guarantees, Medinsky said.\n\n"
        "The delegations agreed that the presidents could meet once a treaty is ready."
    ),
    "Opinion Weekly": (
        "In a bizarre turn of events, Washington dismissed the Istanbul breakthrough as a "
        "delaying tactic.\n\n"
        "Russia offered to reduce military activity near Kyiv and Chernihiv, a gesture the "
        "establishment media ignored.\n\n"
        "An ammunition depot in Belgorod mysteriously exploded, injuring four soldiers."
    ),
}
QUAKE = {
    "Wire Service": (
        "A magnitude 6.1 earthquake struck central Chile on Sunday, damaging homes in Talca.\n\n"
        "Rescue teams searched collapsed buildings through the night."
    ),
    "Capital Daily": (
        "Hundreds of homes were damaged in Talca when a 6.1 earthquake shook central Chile on "
        "Sunday.\n\n"
        "Rescuers worked through the night in collapsed buildings."
    ),
}


def write_records(folder: Path) -> Path:
    """Write the corpus as JSONL records and return the file."""
    rows = []
    for n, (outlet, text) in enumerate(TALKS.items()):
        rows.append({"id": f"talks-{n}", "outlet": outlet, "url": f"https://o{n}.example/talks",
                     "title": "Istanbul talks", "published": "2022-03-29", "text": text})
    for n, (outlet, text) in enumerate(QUAKE.items()):
        rows.append({"id": f"quake-{n}", "outlet": outlet, "url": f"https://o{n}.example/quake",
                     "title": "Chile earthquake", "published": "2022-07-10", "text": text})
    path = folder / "records.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path
