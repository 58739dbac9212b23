"""Shared pieces of the snapshot and facts-folder fuzz tests: the example, mutations, and the CLI oracle.

Bounded in time: each fuzz test runs ``REASON_FUZZ_EXAMPLES`` examples (default 8, the CI setting);
for a longer run by hand: ``REASON_FUZZ_EXAMPLES=500 python -m pytest -q tests/fuzz``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from reasoner.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "facts" / "aws_configs" / "us-east-1"
EXAMPLES = int(os.environ.get("REASON_FUZZ_EXAMPLES", "8"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 8,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

_ID = re.compile(r"(sg|subnet|vpc|eni|rtb|igw|nat|acl|tgw|tgw-attach|tgw-rtb|i|pl|pcx|vpce)-[0-9a-z]+")

#: Values that replace a field: wrong types, empties, huge and hostile strings, a dangling id.
WRONG = st.sampled_from([None, 0, -1, 2**70, 1.5, True, "", "x" * 200_000, [], {}, [[1]], {"a": []}, "sg-0deadbeef",
                         "10.0.0.0/33", "not-an-ip", "\x1b[2J[bold red]REACHABLE[/]\n", "\ud7ff\u202e", "-1", "65536"])


def load_example() -> dict[str, Any]:
    return {p.name: json.loads(p.read_text()) for p in sorted(EXAMPLE.glob("*.json"))}


def paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside ``obj`` (dict keys and list indexes)."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append(prefix + (k,))
            out.extend(paths(v, prefix + (k,)))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.append(prefix + (i,))
            out.extend(paths(v, prefix + (i,)))
    return out


def _parent(obj: Any, path: tuple) -> Any:
    for k in path[:-1]:
        obj = obj[k]
    return obj


def delete(obj: Any, path: tuple) -> None:
    parent = _parent(obj, path)
    del parent[path[-1]]


def replace(obj: Any, path: tuple, value: Any) -> None:
    _parent(obj, path)[path[-1]] = value


def get(obj: Any, path: tuple) -> Any:
    for k in path:
        obj = obj[k]
    return obj


def dangle(value: str) -> str:
    """A resource id of the same kind that the snapshot does not hold."""
    m = _ID.fullmatch(value)
    return f"{m.group(1)}-0fuzz{abs(hash(value)) % 10**6:06d}" if m else value


def is_id(value: Any) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


runner = CliRunner()


def run_cli(*args: str) -> tuple[int, str]:
    """The real CLI in-process; fails the test on any internal error, traceback or unknown exit code."""
    result = runner.invoke(app, list(args), catch_exceptions=True)
    text = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"reason {' '.join(args)}: internal error {type(result.exception).__name__}: "
                             f"{result.exception}\n{text[-2000:]}") from result.exception
    assert result.exit_code in (0, 1, 2, 3), (args, result.exit_code, text[-2000:])
    assert "internal error" not in text and "Traceback" not in text, text[-2000:]
    assert "\x1b" not in text, "a control sequence reached the terminal"
    return result.exit_code, text
