"""Every `reason query` / `verify` / `health` / `audit` example in the README runs, on the shipped snapshot, and says what the README says.

The README's comment after an example states the exit code ("exit 0/1") and/or an explanation code
(an upper-case AWS code); both are checked against the real CLI.
"""

import json
import re
import shlex
import xml.etree.ElementTree as ET
import subprocess
from pathlib import Path

import pytest

from reasoner.schemas import validate

ROOT = Path(__file__).resolve().parents[2]
#: the README's examples write and read the same proofs in /tmp: one worker runs them all (``--dist loadgroup``)
pytestmark = pytest.mark.xdist_group("readme")


def _examples() -> list[tuple[str, str]]:
    out = []
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith(("reason query ", "reason verify", "reason health", "reason audit ", "reason test ", "reason recheck ", "reason diff ")) and "[--" not in line:  # not the synopsis
            cmd, _, comment = line.partition("#")
            facts = re.search(r"--facts (\S+)", cmd)
            if facts and not (ROOT / facts.group(1)).exists():
                continue  # a snapshot the reader collects first: run against moto in tests/collect
            out.append((cmd.strip(), comment.strip()))
    return out


def test_readme_has_examples():
    assert len(_examples()) >= 4


@pytest.mark.parametrize("cmd,comment", _examples(), ids=[c for c, _ in _examples()])
def test_readme_example(cmd, comment):
    if cmd.startswith("reason recheck "):  # its premise: the README's verify --proof that writes that proof ran first
        proof = shlex.split(cmd)[2]
        writer = next((c for c, _ in _examples() if c.startswith("reason verify") and proof in shlex.split(c)),
                      f"reason verify --proof {proof}")
        subprocess.run(shlex.split(writer), cwd=ROOT, capture_output=True, timeout=120)
    r = subprocess.run(shlex.split(cmd), cwd=ROOT, capture_output=True, text=True, timeout=120)
    m = re.search(r"exit (\d)", comment)
    assert r.returncode in (0, 1) or (m and r.returncode == int(m.group(1))), r.stderr + r.stdout
    assert "Traceback" not in r.stderr
    if m:
        assert r.returncode == int(m.group(1))
    fmt = re.search(r"--format (\w+)", cmd)
    if fmt and fmt.group(1) in ("json", "aws", "sarif") and r.returncode != 2:
        doc = json.loads(r.stdout)
        if fmt.group(1) != "sarif":
            validate(doc)  # the answer's own schema (reasoner/schemas)
        else:
            assert doc["version"] == "2.1.0"
    if fmt and fmt.group(1) == "junit":
        assert ET.fromstring(r.stdout).tag == "testsuites"
    for code in re.findall(r"\b[A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+\b", comment):
        assert code in r.stdout, f"{code} not in the output of {cmd}"


def test_readme_shows_the_real_text_answer_of_the_alb_example():
    """The answer the README prints under "Two commands" is what `reason query` prints, line for line."""
    text = (ROOT / "README.md").read_text()
    block = text.split("derivation, and exits 1:\n\n```\n", 1)[1].split("```", 1)[0]
    shown = [line for line in block.splitlines() if line.strip() != "..."]
    r = subprocess.run(["reason", "query", "alb-eni -> task-eni tcp 8000"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1 and r.stdout.splitlines()[:len(shown)] == shown
