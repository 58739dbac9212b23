"""Set questions scanned by the set engine (DuckDB) give the same answer as the pyDatalog scan: verdict, packet
shown, packets_checked, path and explanations, on the scenario snapshots of the CLI tests."""

import sys
from pathlib import Path

import pytest

from reasoner.errors import QueryError
from reasoner.explain import search
from reasoner.session import Session

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests" / "engine") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests" / "engine"))
from test_differential import SCENARIOS  # noqa: E402  (the scenario builders, reused)

QUERIES = ["* -> task-eni tcp 8000", "subnet-pub-a -> sg-0task any", "* -> * tcp 443", "internet -> * tcp 80",
           "* -> internet tcp 443", "sg-0alb -> sg-0task any", "internet -> 10.0.1.50 tcp 80", "* -> db tcp 5432",
           "db -> * any"]


def _answer(session: Session, engine: str, q: str) -> dict:
    session.engine = engine
    try:
        return session.query(q, depth=2).to_json()
    except QueryError as err:
        return {"error": err.code, "message": err.message}


@pytest.mark.parametrize("name", ["shipped", "seed-fixed", "bastion-public", "peering", "nat", "s3-endpoint", "tgw",
                                  "return-blocked"])
def test_set_engine_and_pydatalog_give_the_same_answer(name, tmp_path):
    session = Session.open(SCENARIOS[name](tmp_path))
    verdicts = set()
    for q in QUERIES:
        point, by_set = _answer(session, "point", q), _answer(session, "set", q)
        assert by_set == point, q
        verdicts.add(point.get("reachable"))
    if name == "seed-fixed":
        assert verdicts >= {True, False}


def test_inconclusive_answers_agree_too(tmp_path):
    """Without the NetworkAcls answer the NACL hops are unknown: both engines say INCONCLUSIVE on the same packet."""
    snap = SCENARIOS["seed-fixed"](tmp_path)
    (snap / "aws_configs" / "us-east-1" / "NetworkAcls.json").unlink()
    session = Session.open(snap)
    for q in ("* -> * tcp 8000", "subnet-pub-a -> sg-0task any"):
        point, by_set = _answer(session, "point", q), _answer(session, "set", q)
        assert by_set == point and point["verdict"] == "inconclusive" and point["missing"], q


def test_large_spaces_go_to_the_set_engine(tmp_path, monkeypatch):
    session = Session.open(SCENARIOS["seed-fixed"](tmp_path))
    src, dst = session.endpoints.resolve("*"), session.endpoints.resolve("*")
    assert search.is_large(session.analyzer, src, dst, "-1", 0, 65535, threshold=50)
    assert not search.is_large(session.analyzer, src[:1], dst[:1], "6", 443, 443, threshold=50)
    session.engine = "auto"
    monkeypatch.setattr(search, "SET_THRESHOLD", 3)
    res = session.query("* -> task-eni any", depth=0)  # a destination that is no load-balancer node: one scan
    assert session._set_backend is not None and session._set_backend.evaluated >= res.packets_checked >= 1
