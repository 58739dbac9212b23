"""Fixtures shared by the test folders."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"

# The property tests draw the same examples on every run (derandomize): the suite's time and verdict do not depend on
# the draw, and a failure seen once is seen again. A run by hand with ``REASON_LONG_PROPERTIES=1`` draws at random, as
# Hypothesis does by default. The fuzz tests choose their own draw (tests/fuzz/fuzz_support.py, rule_fuzz_support.py,
# ``--hypothesis-profile long``). No example database is written (the suite writes nothing beside the checkout).
settings.register_profile("reason", derandomize=True, database=None)
settings.register_profile("explore", database=None)
settings.load_profile("explore" if os.environ.get("REASON_LONG_PROPERTIES") else "reason")


@pytest.fixture(scope="session", autouse=True)
def private_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The test run's own cache folder (``REASON_CACHE_DIR``, inherited by the ``reason`` processes tests start):
    the suite never reads, fills or evicts the user's (``~/.cache/reason`` keeps the 16 most recent entries of a
    kind, and a test run writes many more).  A test about the cache sets its own folder (monkeypatch)."""
    before = os.environ.get("REASON_CACHE_DIR")
    os.environ["REASON_CACHE_DIR"] = str(tmp_path_factory.mktemp("reason-cache"))
    yield
    if before is None:
        os.environ.pop("REASON_CACHE_DIR", None)
    else:
        os.environ["REASON_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def generated_estate(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[Path, dict]]:
    """``make(n, seed, variant="private")``: a synthetic estate of ``benchmarks/generate.py`` (Batfish layout) and its
    metadata (``picks``, ``roles``, ...), written once per session for each arguments; tests only read it."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import generate

    made: dict[tuple, tuple[Path, dict]] = {}

    def make(n: int, seed: int, variant: str = "private") -> tuple[Path, dict]:
        if (n, seed, variant) not in made:
            out = tmp_path_factory.mktemp("estate") / f"n{n}-{variant}-seed{seed}"
            made[(n, seed, variant)] = (out, generate.write(out, n, seed=seed, variant=variant))
        return made[(n, seed, variant)]

    return make


@pytest.fixture(scope="session")
def pass_agrees() -> Callable[..., None]:
    """``check(checked, facts, packets, want, chunk, switch)``: a compiler pass of the set engine (turned off by the
    environment variable ``switch``) changes no row: for each packet, the set engine with the pass on and with it
    off gives the rows pyDatalog gives, one packet at a time (tests/engine/test_keyed.py, test_demand.py,
    test_determined.py)."""
    from reasoner.engine.backend import PointBackend, SetBackend
    from reasoner.engine.program import Program

    def answers(checked, facts, packets, want, chunk):
        backend = SetBackend(checked, facts, chunk=chunk)
        try:
            return list(backend.evaluate(packets, want))
        finally:
            backend.close()

    def check(checked, facts: dict, packets: list, want: list, chunk: int, switch: str) -> None:
        program = Program(checked)
        for rel, rows in facts.items():
            program.add_facts(rel, rows)
        expected = list(PointBackend(program).evaluate(packets, want))
        assert answers(checked, facts, packets, want, chunk) == expected
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(switch, "off")
            assert answers(checked, facts, packets, want, chunk) == expected

    return check
