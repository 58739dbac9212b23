"""Set questions on generated snapshots, each in a fresh `reason query` process: wall time, CPU time, peak RSS.

    python benchmarks/set_questions.py --enis 1000 20000 --timeout 600

Questions (benchmarks/generate.py networks): `* -> X tcp 22` (X an ENI nobody reaches on 22), and
`sg-A -> sg-B any` (an isolation proof: sg-A has no egress rule). Not a test: figures go in the README.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

QUESTIONS = ["* -> eni-00000005 tcp 22", "sg-00000003 -> sg-00000001 any"]


def facts_for(n: int) -> Path:
    """Generates and imports the n-ENI network once per facts schema (benchmarks/out/facts<n>, shared with run.py)."""
    from reasoner.facts.importer import SCHEMA_VERSION, import_aws_configs, write_facts

    facts = HERE / "out" / f"facts{n}"
    manifest = facts / "manifest.json"
    if not manifest.exists() or json.loads(manifest.read_text()).get("schema_version") != SCHEMA_VERSION:
        raw = HERE / "out" / f"n{n}"
        region = raw / "aws_configs" / "us-east-1"
        region.mkdir(parents=True, exist_ok=True)
        for name, body in generate(n).items():
            (region / f"{name}.json").write_text(json.dumps(body))
        write_facts(import_aws_configs(raw), facts)
    return facts


def run(facts: Path, question: str, timeout: float) -> str:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    try:
        r = subprocess.run(["reason", "query", "--format", "json", "--explain", "brief", "--facts", str(facts), question],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"did not finish in {timeout:.0f} s"
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rss = after.ru_maxrss / 1024
    try:
        out = json.loads(r.stdout)
        verdict = f"{'REACHABLE' if out['reachable'] else 'UNREACHABLE'}, {out['packets_checked']} packets"
    except (json.JSONDecodeError, KeyError):
        verdict = f"exit {r.returncode}: {r.stderr.strip()[:200]}"
    return f"wall {wall:.2f} s, CPU {cpu:.2f} s, peak RSS {rss:.0f} MB ({verdict})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enis", type=int, nargs="+", default=[1000, 20000])
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--question", action="append", help="instead of the default questions")
    args = ap.parse_args()
    for n in args.enis:
        facts = facts_for(n)
        for q in args.question or QUESTIONS:
            print(f"ENIs={n} {q!r}: {run(facts, q, args.timeout)}", flush=True)


if __name__ == "__main__":
    main()
