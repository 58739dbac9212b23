"""Measures `reason` on generated snapshots: fact loading, warm point queries, fresh-process CLI, peak RSS.

    python benchmarks/run.py --enis 1000 20000 --runs 5

Prints medians of --runs runs (CLI) and of 50 point queries (warm), both verdict-only
(``Session.query(detail=False)``) and with hop-by-hop path and derivation tree. Not a test: figures go in notes.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enis", type=int, nargs="+", default=[1000, 20000])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    import json

    from reasoner.facts.importer import import_aws_configs, write_facts
    from reasoner.session import Session

    for n in args.enis:
        raw = HERE / "out" / f"n{n}"
        region = raw / "aws_configs" / "us-east-1"
        region.mkdir(parents=True, exist_ok=True)
        for name, body in generate(n).items():
            (region / f"{name}.json").write_text(json.dumps(body))
        facts = HERE / "out" / f"facts{n}"
        t = time.perf_counter()
        snap = import_aws_configs(raw)
        write_facts(snap, facts)
        t_import = time.perf_counter() - t
        nfacts = sum(len(r) for r in snap.relations.values())
        t = time.perf_counter()
        s = Session.open(facts)
        t_open = time.perf_counter() - t
        enis = [r[0] for r in snap.relations["eni"]]
        pairs = [(enis[i], enis[(i * 7919 + 13) % len(enis)]) for i in range(0, len(enis), max(1, len(enis) // 50))][:50]
        times, full, verdicts = [], [], 0
        for a, b in pairs:
            t = time.perf_counter()
            verdicts += s.query(f"{a} -> {b} tcp 443", depth=0, detail=False).reachable
            times.append(time.perf_counter() - t)
            t = time.perf_counter()
            s.query(f"{a} -> {b} tcp 443", depth=3)
            full.append(time.perf_counter() - t)
        cli = []
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run(["reason", "query", "--facts", str(facts), f"{pairs[0][0]} -> {pairs[0][1]} tcp 443"], capture_output=True)
            cli.append(time.perf_counter() - t)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"ENIs={n} facts={nfacts} import+write={t_import:.2f}s load={t_open:.2f}s "
              f"warm query median={statistics.median(times) * 1000:.1f}ms verdict-only, "
              f"{statistics.median(full) * 1000:.1f}ms with path and proof ({verdicts}/{len(pairs)} reachable) "
              f"fresh CLI median={statistics.median(cli):.2f}s peak RSS(this process)={rss:.0f}MB", flush=True)


if __name__ == "__main__":
    main()
