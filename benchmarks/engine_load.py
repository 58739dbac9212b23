"""Bulk fact loading into a Program: 10k and 100k facts, median of --runs runs each.

    python benchmarks/engine_load.py --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import time

from reasoner.engine.program import Program

RULES = """
.decl edge(a: number, b: number, label: symbol)
.decl hop2(a: number, c: number)
hop2(A, C) :- edge(A, B, _), edge(B, C, _).
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    for n in (10_000, 100_000):
        rows = [(i, (i * 31) % n, f"l{i % 97}") for i in range(n)]
        loads, queries = [], []
        for _ in range(args.runs):
            p = Program.from_text(RULES)
            t = time.perf_counter()
            p.add_facts("edge", rows)
            loads.append(time.perf_counter() - t)
            t = time.perf_counter()
            p.query("hop2", (5, None))
            queries.append(time.perf_counter() - t)
        print(f"facts={n}: load median={statistics.median(loads):.3f}s ({n / statistics.median(loads):,.0f}/s), "
              f"point query median={statistics.median(queries) * 1000:.2f}ms", flush=True)


if __name__ == "__main__":
    main()
