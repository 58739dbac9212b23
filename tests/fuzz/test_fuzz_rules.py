"""Fuzzing rule files (issue 10): grammar-aware hostile files (Python-looking strings, `__import__`,
keywords and pyDatalog internals as identifiers, unicode, deep nesting, huge numbers) plus text
mutations.  Oracles: only our errors (RuleError/EvaluationError with a location), never another
exception; no code ever runs (a marker file that any hostile string would create never appears);
`reason check` and `reason verify` exit with 0, 1, 2 or 3, without a traceback or "internal error".
"""

from __future__ import annotations

import os
import subprocess
import sys

from hypothesis import given

from reasoner.engine.check import check
from reasoner.engine.parse import parse_text
from reasoner.engine.program import Program
from reasoner.errors import EvaluationError, RuleError
from rule_fuzz_support import MARKER, fuzz_settings, rule_file

sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))


def _run_program(checked) -> None:
    if any(checked.recursive_with(p) for p in checked.decls):
        return  # recursion may not terminate, and the engine cannot be interrupted in-process: see the CLI test
    program = Program(checked)
    for name, decl in sorted(checked.decls.items()):
        try:
            rows = program.query(name, (None,) * decl.arity)
        except EvaluationError as err:
            assert err.code.startswith("engine.") and err.render()
            continue
        assert all(isinstance(v, (int, str)) for row in rows for v in row)  # never an exception object as a value


@fuzz_settings(60)
@given(rule_file())
def test_hostile_rule_files_give_located_errors_or_run_and_never_execute_code(text):
    try:
        module = parse_text(text, "fuzz.dl")
    except RuleError as err:
        assert all(d.file == "fuzz.dl" for d in err.diagnostics) and err.render()
        return
    for strict in (True, False):
        try:
            checked = check(module, strict=strict)
        except RuleError as err:
            assert all(d.file == "fuzz.dl" and d.line > 0 for d in err.diagnostics), err.render()
            continue
        _run_program(checked)
    assert not MARKER.exists()


@fuzz_settings(5)
@given(rule_file())
def test_hostile_rule_files_through_check_and_verify(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("policy")
    (folder / "fuzz.dl").write_text(text, encoding="utf-8")
    env = dict(os.environ, REASON_CACHE_DIR=str(tmp_path_factory.getbasetemp() / "cache"))
    for args in (["check", str(folder / "fuzz.dl")], ["verify", str(folder), "--timeout", "20"]):
        r = subprocess.run(["reason", *args], capture_output=True, text=True, timeout=120, env=env,
                           cwd=str(tmp_path_factory.getbasetemp()))
        assert r.returncode in (0, 1, 2, 3), (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    assert not MARKER.exists()
