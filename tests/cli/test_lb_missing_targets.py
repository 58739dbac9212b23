"""A load balancer whose targets have no network interface in the snapshot (found by the snapshot fuzzer: it was
an AssertionError, "internal error"): nothing about the targets was checked, so the answer is INCONCLUSIVE
(exit 3) naming the missing piece, never a verdict (issue 9 item 10)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_targets_without_enis_are_inconclusive(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    shutil.copytree(ROOT / "facts" / "examples" / "seed-fixed", snap)  # reachable when complete
    (snap / "aws_configs" / "us-east-1" / "NetworkInterfaces.json").unlink()
    r = subprocess.run(["reason", "query", "--facts", str(snap), "--format", "json", "internet -> alb:web tcp 80"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stdout + r.stderr
    res = json.loads(r.stdout)
    assert res["verdict"] == "inconclusive"
    assert any(m["missing"] == "target_eni" and "network interface" in m["message"] and "10.0.11.20" in m["message"]
               for m in res["missing"]), res["missing"]
