"""A screen: a first, cheaper look at each group of packets, through the rows of a few hops only.

The readers of ``products`` with ``settles`` (the audits, ``query --all``) skip every group a hop blocks for certain,
and at 20k ENIs almost every pair of ``audit pairs`` is blocked by a security group.  Yet each group's first packet
costs the whole program: routes, ACLs, transit gateways, missing data, explanation codes.  A screen asks the set
engine first for the rows of a few hops (``hops``: the security groups', say) through views of the answer relations
(reasoner/engine/views.py: ``fwd_blocked`` rows of those hops only; the demand pass then leaves the other hops' rules
out), for the packets ``(dp, sps[0])`` of every destination-port piece of every group.  A group whose screened rows
settle every ``dp`` is settled (``Product.settled``) without asking more; the others go on as before.

**Why it is sound.**  A view's rows for a packet are exactly the relation's rows of the screened hops (views.py),
so the screened rows are "the rows of some of a packet's hops", which is what ``settles`` is asked of
(separable.py ``products``): if they settle the packet ``(dp, sps[0])``, whatever the other hops say, they settle
every packet ``(dp, sp)`` that has the same rows.  Every such packet has them: a screened hop reads no source port
(``Screen`` refuses one that does, by the split reads.py derives from the rules), so its rows are a function of
the fields ``(dp, sp)`` shares with ``(dp, sps[0])`` (the separable argument, separable.py's module doc).  So a group
whose every ``dp`` is settled by the screen has every packet settled, as the unscreened steps would find.

``Analyzer._scan`` (a query: the first packet that gets through, else the nearest miss) reads the screened rows
differently: they bound a packet's rank from below, and a packet whose bound comes after a packet already evaluated
is not evaluated at all (separable.py ``SeparableBackend._firsts``, for chunks of at least ``screen_from`` packets).
At 20k ENIs ``sg-A -> sg-B any`` evaluates 64 of its 39,192 first packets whole this way.

Which hops to screen is the caller's choice of speed (the question layer names the security groups'), never of
answers.  ``REASON_SCREEN=off`` in the environment turns it off (the tests compare both).
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, Mapping, Sequence

from reasoner.engine.views import View

#: the caller's name of the view of relation ``rel`` (``SetBackend.views``)
LABEL = "screen:{}"


def enabled() -> bool:
    return os.environ.get("REASON_SCREEN", "on").lower() not in ("off", "0", "no", "false")


def screen_views(hops: Iterable[str], relations: Iterable[str]) -> dict[str, View]:
    """The views a screen of ``hops`` reads: each hop-keyed relation's rows of those hops (for ``SetBackend``)."""
    kept = frozenset(hops)
    return {LABEL.format(rel): View(rel, 0, kept) for rel in relations}


def screenable(hops: Iterable[str], side: Callable[[str], str]) -> list[str]:
    """The hops of ``hops`` a screen may look at: those reading no source port (``side``: a hop's port side,
    separable.py ``side_of``)."""
    return [h for h in hops if side(h) in ("dst", "none")]


class Screen:
    """Screens groups for a ``SeparableBackend``; ``inner`` is its set backend, built with ``screen_views(hops,
    relations)``; ``side(hop)`` is the hop's port side (separable.py ``split``)."""

    def __init__(self, inner, hops: Sequence[str], relations: Iterable[str], side: Callable[[str], str]) -> None:
        allowed = screenable(hops, side)
        reading = [h for h in hops if h not in allowed]
        if reading:
            raise ValueError(f"a screened hop must read no source port: {', '.join(reading)}")
        self.inner = inner
        self.hops = tuple(hops)
        #: relation -> its view's predicate in the inner backend
        self.views: Mapping[str, str] = {rel: inner.views[LABEL.format(rel)] for rel in relations}
        self.evaluated = 0  # packets screened

    def settled(self, chunk: list, facts: Callable[[object, int, int], Mapping], want: Sequence[str],
                settled: Callable[[Mapping], bool]) -> list[list[dict] | None]:
        """Per group of ``chunk``: the screened rows of each destination-port piece (relations of ``want``), when
        ``settled`` holds of every piece's (the caller's ``settles``, memoised: separable.py ``_memo``); else None."""
        return [rows if all(settled(r) for r in rows) else None for rows in self.rows(chunk, facts, want)]

    def rows(self, chunk: list, facts: Callable[[object, int, int], Mapping], want: Sequence[str]) -> list[list[dict]]:
        """Per group of ``chunk``, per destination-port piece: the screened rows of the packet ``(dp, sps[0])``
        (relations of ``want``, by their own names), from one evaluation."""
        names = {self.views[rel]: rel for rel in want}
        answers = self.inner.evaluate((facts(g, dp, g.sps[0]) for g in chunk for dp in g.dps), list(names))
        out: list[list[dict]] = []
        for g in chunk:
            out.append([{names[k]: v for k, v in next(answers).items()} for _ in g.dps])
            self.evaluated += len(g.dps)
        return out
