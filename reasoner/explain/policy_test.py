"""``reason test POLICY_DIR``: policies run against fixture snapshots, compared with expected violations.

Layout (like CodeQL's ``.expected`` files): ``POLICY_DIR/*.dl`` are the policies; every folder
``POLICY_DIR/tests/CASE/`` holding ``aws_configs/`` (Batfish layout) or a facts directory is a fixture, and
``POLICY_DIR/tests/CASE.expected`` lists the violations the policies must derive on it, exactly: one
``resource | message`` per line, any order, and each row of ``undecided`` (what a policy says it cannot decide) as
``undecided: resource | message``, and each ENI or pair that missing data leaves open in ``exposed``/``can_reach``
(what ``reason verify`` warns of as "policies not decided", exit 3) as ``not decided: eni | exposed``,
``not decided: src -> dst | can_reach`` (``not decided: * | exposed: no NetworkInterfaces answer`` for a snapshot
without the ENI list); blank lines and ``#`` comments are ignored.  A case passes when the rows derived
are the rows expected, no more and no fewer: a fixture on which the policies are not decided fails unless its
``.expected`` says so.  Not handled: YAML fixtures; policy names are not looked up in the
fixture (reasoner/explain/policy_names.py: a fixture may lack the ids a pack names).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reasoner.engine.syntax import source_lines
from reasoner.errors import QueryError, ReasonError

#: how an ``.expected`` line names a row of ``undecided`` (rules/policy_relations.dl): ``undecided: resource | message``
UNDECIDED = "undecided: "
#: how an ``.expected`` line names what missing data leaves open in ``exposed``/``can_reach``:
#: ``not decided: eni | exposed``, ``not decided: src -> dst | can_reach``
NOT_DECIDED = "not decided: "


@dataclass
class CaseResult:
    """One fixture: what was expected, what the policies derived (or the error that stopped them)."""

    name: str
    expected: set[tuple[str, str]]
    actual: set[tuple[str, str]] = field(default_factory=set)
    error: ReasonError | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and self.expected == self.actual

    @property
    def missing(self) -> list[tuple[str, str]]:
        return sorted(self.expected - self.actual)

    @property
    def unexpected(self) -> list[tuple[str, str]]:
        return sorted(self.actual - self.expected)


def fixtures(policy_dir: Path) -> list[tuple[str, Path, Path]]:
    """The (name, snapshot folder, expected file) of each fixture; a QueryError when there are none, one
    lacks its ``.expected`` file, or an ``.expected`` file has no fixture folder."""
    root = policy_dir / "tests"
    cases = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    for expected in sorted(root.glob("*.expected")) if root.is_dir() else []:
        if not (root / expected.stem).is_dir():  # a case the user wrote must run, or say why it cannot
            raise QueryError("test.no_fixture", f"no fixture snapshot folder {root / expected.stem}/ for this .expected file",
                             location=str(expected),
                             hint=f"put the snapshot (Batfish layout: {expected.stem}/aws_configs/...) next to it, "
                                  "or rename or remove the .expected file")
    if not cases:
        raise QueryError("test.no_fixture", f"{root}: no fixture snapshot folders",
                         hint="put Batfish-layout folders (CASE/aws_configs/...) and CASE.expected files in it")
    out = []
    for case in cases:
        expected = root / f"{case.name}.expected"
        if not expected.is_file():
            raise QueryError("test.no_expected", f"{expected}: missing (the violations expected on {case})",
                             hint="one 'resource | message' per line; an empty file expects no violation")
        out.append((case.name, case, expected))
    return out


def read_expected(path: Path) -> set[tuple[str, str]]:
    """The rows of an ``.expected`` file; a located QueryError for a line that is not ``resource | message``."""
    rows = set()
    for n, line in enumerate(source_lines(path.read_text(encoding="utf-8")), 1):  # (as an editor counts lines)
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        resource, sep, message = text.partition("|")
        if not sep or not resource.strip():
            raise QueryError("test.bad_expected", f"{path}:{n}: expected 'resource | message', got {text!r}")
        rows.add((resource.strip(), message.strip()))
    return rows


def run_case(name: str, snapshot: Path, expected: Path, policies: list[Path]) -> CaseResult:
    """Runs the policies on one fixture snapshot."""
    from reasoner.explain.policy_facts import fill
    from reasoner.session import Session

    want = read_expected(expected)
    try:
        session = Session.open(snapshot, extra_rules=policies)
        open_: list[tuple[str, str]] = []
        fill(session, open_rows=open_)
        rows = session.program.query("violation", (None, None))
        open_rows = session.program.query("undecided", (None, None)) if "undecided" in session.program.decls else []
    except ReasonError as err:
        return CaseResult(name, want, error=err)
    return CaseResult(name, want, {(str(r), str(m)) for r, m in rows} | {(f"{UNDECIDED}{r}", str(m)) for r, m in open_rows}
                      | {(f"{NOT_DECIDED}{r}", m) for r, m in open_})


def run(policy_dir: Path) -> list[CaseResult]:
    """Every fixture of ``policy_dir``; a QueryError when it has no policy file or no fixture."""
    policies = sorted(policy_dir.glob("*.dl")) if policy_dir.is_dir() else []
    if not policies:
        raise QueryError("test.no_policy", f"{policy_dir}: no *.dl policy files")
    return [run_case(n, s, e, policies) for n, s, e in fixtures(policy_dir)]
