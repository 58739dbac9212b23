"""User rule files read the shipped predicates but never declare or extend them (issue 9, item 8).

Before, any extra file could add clauses to shipped predicates and base relations, e.g. a fact
``sg_egress_cidr(...)`` that opened the shipped example's blocked path.
"""

import pytest

from reasoner.engine.check import OPEN_HEADS
from reasoner.engine.parse import parse_text
from reasoner.engine.program import bundled_rules, load_rules
from reasoner.errors import RuleError


def shipped_decls() -> dict:
    decls = {}
    for path in bundled_rules():
        decls.update({d.name: d for d in parse_text(path.read_text(), path.name).decls})
    return decls


def value(ctype: str, i: int) -> str:
    return str(i) if ctype == "number" else f'"v{i}"'


def test_every_shipped_predicate_is_read_only(tmp_path):
    decls = shipped_decls()
    assert len(decls) > 40 and "sg_egress_cidr" in decls and "fwd_blocked" in decls
    lines, expected = [".decl mine(x: symbol)", 'mine("a").'], set()
    for name, d in sorted(decls.items()):
        if name in OPEN_HEADS:  # violation: every policy file adds rules to it (tests/engine/test_policy_relations.py)
            continue
        args = ", ".join(value(t, i) for i, (_, t) in enumerate(d.columns))
        lines.append(f"{name}({args}).")  # a fact
        expected.add((len(lines), name))
        lines.append(f"{name}({args}) :- mine(_).")  # a rule
        expected.add((len(lines), name))
        lines.append(f".decl {name}({', '.join(f'{c}: {t}' for c, t in d.columns)})")  # a re-declaration
        expected.add((len(lines), name))
    f = tmp_path / "user.dl"
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(RuleError) as info:
        load_rules([f])
    found = {(d.line, d.source_line.split("(")[0].removeprefix(".decl ")) for d in info.value.diagnostics
             if d.code == "redefines_shipped" and d.file == str(f)}
    assert found == expected
    # (and the helper table mine, which no violation rule reads: dead_rule)
    assert {d.code for d in info.value.diagnostics if not d.source_line.startswith("mine(")} == {"redefines_shipped"}
    d = next(d for d in info.value.diagnostics if d.code == "redefines_shipped")
    assert d.hint == "define your own predicate; shipped predicates are read-only" and "^" in d.render()


def test_a_user_file_may_define_its_own_predicates_and_read_shipped_ones(tmp_path):
    f = tmp_path / "policy.dl"
    f.write_text('.decl violation(resource: symbol, message: symbol)\n'
                 'violation(Sg, "no egress") :- lb_sg(_, Sg), !sg_egress_cidr(Sg, _, _, _, _, _, _).\n')
    checked = load_rules([f])
    assert "violation" in checked.decls


def test_a_user_file_named_like_a_shipped_one_is_still_a_user_file(tmp_path, monkeypatch):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "reachability.dl").write_text('fwd_blocked("policy") :- packet(_, _, _, _, _, _, _).\n')
    monkeypatch.chdir(tmp_path)
    from pathlib import Path

    with pytest.raises(RuleError) as info:
        load_rules([Path("rules/reachability.dl")])
    (d,) = [x for x in info.value.diagnostics if x.code == "redefines_shipped"]  # and per_query_in_policy (packet)
    assert d.file == str(tmp_path / "rules" / "reachability.dl")


def test_a_shipped_file_given_again_counts_once():
    load_rules(bundled_rules()[:2])
