"""Links to a view: what the dashboard shows, as URL query parameters (pure, no Streamlit).

``?event=EVENT_ID&outlets=A,B,C&view=side-by-side&fact=3&classroom=1`` opens fact 3 of the
comparison of outlets A, B and C in classroom mode. ``differ=1`` (facts the outlets tell
differently first) and ``single=1`` (also facts one outlet reports alone) change which facts are
numbered, so a link carries them too. Anything a link gets wrong falls back to the default and
is said in one line; reading a link never raises.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

PARAMS = ("event", "outlets", "view", "fact", "classroom", "differ", "single")
MAX_OUTLETS = 5
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")
_QUOTE_CHARS = 60
# ASCII digits only: str.isdigit() also passes "²" and "٣", which int() refuses or reads; nine
# digits keep far below int()'s limit on digits and above any event's number of facts.
_FACT_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class LinkState:
    """The view a link opens."""

    event: str
    outlets: tuple[str, ...]
    view: str  # a view's slug
    fact: int = 1  # 1-based: the fact shown in classroom mode, the first on the page otherwise
    classroom: bool = False
    differ: bool = False
    single: bool = False

    def params(self) -> dict[str, str]:
        """The query parameters (flags only when on)."""
        out = {"event": self.event, "outlets": ",".join(self.outlets), "view": self.view,
               "fact": str(self.fact)}
        out.update({k: "1" for k in ("classroom", "differ", "single") if getattr(self, k)})
        return out


def link(base_url: str, state: LinkState) -> str:
    """The full link: ``base_url`` (scheme, host, port, path) and the state's parameters."""
    query = urlencode(state.params(), quote_via=quote, safe=",")
    return f"{base_url.split('?', 1)[0]}?{query}"


def _quoted(value: str) -> str:
    value = " ".join(value.split())
    return f"'{value[:_QUOTE_CHARS]}…'" if len(value) > _QUOTE_CHARS else f"'{value}'"


def _flag(params: Mapping[str, str], name: str, problems: list[str]) -> bool:
    raw = params.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw not in _FALSE:
        problems.append(f"{name} {_quoted(raw)} is not 1 or 0 (off)")
    return False


def _fact(params: Mapping[str, str], problems: list[str]) -> int:
    raw = params.get("fact", "").strip()
    if not raw:
        return 1
    if _FACT_NUMBER.fullmatch(raw) and int(raw) >= 1:
        return int(raw)
    problems.append(f"fact {_quoted(raw)} is not a fact number (showing fact 1)")
    return 1


def _outlets(raw: str, offered: Sequence[str], problems: list[str]) -> tuple[str, ...] | None:
    """The link's outlets that the event has, or None (use the defaults)."""
    asked = list(dict.fromkeys(o.strip() for o in raw.split(",") if o.strip()))
    known = [o for o in asked if o in offered]
    unknown = [o for o in asked if o not in offered]
    if len(known) > MAX_OUTLETS:
        problems.append(f"at most {MAX_OUTLETS} outlets can be compared (the first "
                        f"{MAX_OUTLETS} are shown)")
        known = known[:MAX_OUTLETS]
    if unknown:
        names = ", ".join(_quoted(o) for o in unknown[:3]) + (" ..." if len(unknown) > 3 else "")
        problems.append(f"{names} {'is' if len(unknown) == 1 else 'are'} not an outlet of this "
                        "event")
    if len(known) < 2:
        if asked:
            problems.append("a comparison needs two of its outlets (showing the default outlets)")
        return None
    return tuple(known)


def read_link(params: Mapping[str, str], *, events: Sequence[str],
              outlets_of: Callable[[str], Sequence[str]],
              default_outlets: Callable[[str], Sequence[str]], views: Sequence[str],
              default_view: str) -> tuple[LinkState, str]:
    """The view a link asks for, with every invalid or stale part replaced by its default.

    Args:
        params: the URL's query parameters (one value each).
        events: the run's event ids, the default first.
        outlets_of: an event's outlets.
        default_outlets: an event's preselected outlets.
        views: the view slugs.

    Returns:
        The state, and one readable line saying what could not be used ("" when all could).
        The fact number is not checked against the facts here (the caller knows how many).
    """
    problems: list[str] = []
    event = params.get("event", "").strip()
    stale_event = bool(event) and event not in events
    if stale_event:
        problems.append(f"event {_quoted(event)} is not in this analysis (showing the first "
                        "event and its default outlets)")
    if not event or stale_event:
        event = events[0]
    outlets = None
    if params.get("outlets", "").strip() and not stale_event:
        outlets = _outlets(params["outlets"], outlets_of(event), problems)
    view = params.get("view", "").strip() or default_view
    if view not in views:
        problems.append(f"there is no view {_quoted(view)} (showing the side by side)")
        view = default_view
    state = LinkState(event, outlets or tuple(default_outlets(event)), view,
                      1 if stale_event else _fact(params, problems),
                      _flag(params, "classroom", problems), _flag(params, "differ", problems),
                      _flag(params, "single", problems))
    return state, notice(problems)


def notice(problems: Sequence[str]) -> str:
    """One line for what a link got wrong ("" when nothing)."""
    if not problems:
        return ""
    return "This link could not be opened exactly: " + "; ".join(problems) + "."
