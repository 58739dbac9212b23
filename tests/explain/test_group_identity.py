"""Per-group results keyed by a group's id must keep the group alive (reasoner/explain/proof.py ``_plain_classes``,
reasoner/explain/audit.py ``exposure``).

The set engine takes pair groups lazily and evaluates them in blocks; a group whose port groups are done may be
freed, and CPython then gives a new group the same id.  Keyed by id alone, the proof merged two groups' classes
under one group's pairs, at random: a proof of isolation at 20k ENIs failed its own ``reason recheck`` in one run out
of two ("the packet space has 849 groups of endpoint pairs, the proof 852"), and ``audit exposure`` could hand one
group's exposed ports to another group's ENIs.  Small blocks here make the set engine free groups as a large
estate does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoner.explain import proof
from reasoner.session import Session


@pytest.fixture(scope="module")
def estate(generated_estate) -> tuple[Path, dict]:
    return generated_estate(120, seed=7)


def _small_blocks(session: Session) -> None:
    backend = session.set_backend()
    backend.block, backend.first = 300, 100  # many blocks: groups are freed between them


def test_every_group_of_a_proof_keeps_its_own_classes(estate: tuple[Path, dict]) -> None:
    out, meta = estate
    p = meta["picks"]
    session = Session.open(out)
    _small_blocks(session)
    q = f"{p['sg_a']} -> {p['sg_b']} any"
    groups = proof.query_classes(session, q)
    assert groups, "the question has pairs"
    for g in groups:  # each class belongs to one of its group's own pairs
        assert all(c["src"] in g["srcs"] and c["dst"] in g["dsts"] for c in g["classes"]), g["srcs"]
    members = [(s, d) for g in groups for s in g["srcs"] for d in g["dsts"] if s != d]
    assert len(members) == len(set(members)) == sum(g["pairs"] for g in groups)
    again = Session.open(out)  # a fresh session (another process's memory layout) gives the same proof
    _small_blocks(again)
    assert proof.query_classes(again, q) == groups


def test_exposure_names_each_groups_own_enis(generated_estate) -> None:
    """Exposure in small blocks equals exposure in one block.  (At this size it did not catch the id reuse without the
    fix; the proof test above did.  It guards the same pattern in audit.py against coming back.)"""
    out, _ = generated_estate(120, seed=7, variant="internet")
    from reasoner.explain.audit import exposure

    small = Session.open(out)
    _small_blocks(small)
    found, _ = exposure(small.analyzer, small.set_backend())
    whole = Session.open(out)
    expected, _ = exposure(whole.analyzer, whole.set_backend())
    assert found and [e.to_json() for e in found] == [e.to_json() for e in expected]
