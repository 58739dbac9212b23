"""Fixtures shared by the test folders."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


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
