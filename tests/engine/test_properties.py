"""Property: random stratified programs evaluated by pyDatalog agree with a naive bottom-up
reference evaluator written here (semi-naive is not needed at this size)."""


from hypothesis import given, settings, strategies as st

from reasoner.engine.program import Program

CONSTS = [1, 2, 3, 4]
EDB = {"e": 2, "f": 1}


def reference(facts: dict, rules: list) -> dict:
    db = {k: set(v) for k, v in facts.items()}
    for stratum in sorted({s for s, *_ in rules}):
        changed = True
        while changed:
            changed = False
            for s, head, body in rules:
                if s != stratum:
                    continue
                for env in _solve(db, body):
                    row = tuple(env[v] for v in head[1])
                    if row not in db.setdefault(head[0], set()):
                        db[head[0]].add(row)
                        changed = True
    return db


def _solve(db, body):
    envs = [{}]
    for neg, pred, args in body:
        nxt = []
        for env in envs:
            if neg:
                row = tuple(env[a] for a in args)
                if row not in db.get(pred, set()):
                    nxt.append(env)
                continue
            for row in db.get(pred, set()):
                e = dict(env)
                if all(e.setdefault(a, v) == v for a, v in zip(args, row)):
                    nxt.append(e)
        envs = nxt
    return envs


@st.composite
def programs(draw):
    facts = {"e": set(draw(st.lists(st.tuples(st.sampled_from(CONSTS), st.sampled_from(CONSTS)), max_size=8))),
             "f": set(draw(st.lists(st.tuples(st.sampled_from(CONSTS)), max_size=4)))}
    rules = []
    # stratum 1: p/2 (recursive, positive only); stratum 2: q/1 may negate p or f
    rules.append((1, ("p", ("X", "Y")), [(False, "e", ("X", "Y"))]))
    if draw(st.booleans()):
        rules.append((1, ("p", ("X", "Y")), [(False, "e", ("X", "Z")), (False, "p", ("Z", "Y"))]))
    else:
        rules.append((1, ("p", ("X", "Y")), [(False, "p", ("X", "Z")), (False, "e", ("Z", "Y"))]))
    neg = draw(st.sampled_from([(True, "p", ("X", "X")), (True, "f", ("X",)), (False, "f", ("X",))]))
    rules.append((2, ("q", ("X",)), [(False, "e", ("X", "Y")), neg]))
    return facts, rules


def to_text(facts, rules) -> str:
    lines = [".decl e(a: number, b: number)", ".decl f(a: number)", ".decl p(a: number, b: number)", ".decl q(a: number)"]
    lines += [f"e({a}, {b})." for a, b in sorted(facts["e"])] + [f"f({a})." for (a,) in sorted(facts["f"])]
    for _, (h, hargs), body in rules:
        lits = [("!" if n else "") + f"{p}({', '.join(a)})" for n, p, a in body]
        lines.append(f"{h}({', '.join(hargs)}) :- {', '.join(lits)}.")
    return "\n".join(lines)


@settings(max_examples=40, deadline=None)
@given(programs())
def test_pydatalog_agrees_with_the_reference(prog):
    facts, rules = prog
    expected = reference(facts, rules)
    p = Program.from_text(to_text(facts, rules))
    for pred, arity in (("p", 2), ("q", 1)):
        assert set(p.query(pred, (None,) * arity)) == expected.get(pred, set())
