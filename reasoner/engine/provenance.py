"""Why and why-not, by re-proving with the engine (pyDatalog keeps no derivation links).

``why(pred, row)``: a derivation tree; each node names the rule (file:line), its bindings and
children down to base facts (with their source when the loader gave one).

``why_not(pred, row)``: for *every* rule whose head unifies, the longest satisfiable prefix of the
body (the best partial binding) and the first literal that fails under it, recursively for derived
predicates; for base predicates the near misses (facts that agree on the first, key column).

Both are bounded by ``depth`` and ``max_nodes``; a cut subtree is marked ``partial``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reasoner.engine.protocols import PROTO_COLUMNS
from reasoner.engine.program import Program
from reasoner.engine.syntax import Atom, BinOp, Const, Var, show_literal, term_vars
from reasoner.protocols import ICMP, NAMES, icmp_text


@dataclass
class Node:
    """One node of a proof or refutation tree."""

    label: str
    holds: bool
    rule: str | None = None
    bindings: dict[str, Any] = field(default_factory=dict)
    children: list["Node"] = field(default_factory=list)
    near_misses: list[tuple] = field(default_factory=list)
    source: str | None = None
    partial: bool = False
    #: the label for people: protocol columns by name (``tcp``, not ``'6'``); JSON keeps ``label``
    display: str | None = None

    def to_json(self) -> dict:
        out: dict[str, Any] = {"label": self.label, "holds": self.holds}
        if self.rule:
            out["rule"] = self.rule
        if self.bindings:
            out["bindings"] = self.bindings
        if self.source:
            out["source"] = self.source
        if self.near_misses:
            out["near_misses"] = [list(r) for r in self.near_misses]
        if self.partial:
            out["partial"] = True
        if self.children:
            out["children"] = [c.to_json() for c in self.children]
        return out


#: IANA protocol numbers as the rules hold them -> the names people read in a derivation
PROTOCOL_NAMES = {**NAMES, "-1": "all"}
#: columns holding one port of a packet: for ICMP, a message (``type * 256 + code``), or past 65535 the marker of
#: a message that gets no reply (rules/00_snapshot.dl ``icmp_query``)
PORT_COLUMNS = frozenset({"src_port", "dst_port", "port"})


def _message(v: Any, source: bool = False) -> str | None:
    """An ICMP port value for people: ``type 8 code 0``; a source port, which holds the reply's message or the
    no-reply marker, ``reply type 0 code 0`` or ``no reply``; None when it is no number."""
    if type(v) is not int or v < 0:
        return None
    if v > 65535:
        return "no reply"
    return f"{'reply ' if source else ''}{icmp_text(v, v)}"


def _fmt(pred: str, row: tuple, protos: tuple[int, ...] = (), ports: dict[int, bool] | None = None) -> str:
    ports = ports or {}
    icmp = any(row[i] in ICMP for i in protos)

    def show(i: int, v: Any) -> str:
        if v is None:
            return "_"
        if i in protos and v in PROTOCOL_NAMES:
            return PROTOCOL_NAMES[v]
        if icmp and i in ports and _message(v) is not None:
            return _message(v, ports[i])  # type: ignore[return-value]
        return repr(v) if isinstance(v, str) else str(v)
    return f"{pred}({', '.join(show(i, v) for i, v in enumerate(row))})"


class Explainer:
    def __init__(self, program: Program, depth: int = 12, max_nodes: int = 400) -> None:
        self.p, self.depth, self.max_nodes, self.count = program, depth, max_nodes, 0
        #: per predicate, the positions of its protocol columns (protocols.PROTO_COLUMNS)
        self.protos = {name: tuple(i for i, (col, _) in enumerate(decl.columns) if col in PROTO_COLUMNS)
                       for name, decl in program.decls.items()}
        #: per predicate, the positions of its one-port columns (``PORT_COLUMNS``), each True for a source port
        self.ports = {name: {i: col == "src_port" for i, (col, _) in enumerate(decl.columns) if col in PORT_COLUMNS}
                      for name, decl in program.decls.items()}

    def _display(self, pred: str, row: tuple) -> str | None:
        """The label with protocols by name and ICMP messages by type and code, when the predicate has a protocol
        column."""
        return _fmt(pred, row, self.protos[pred], self.ports.get(pred)) if self.protos.get(pred) else None

    def _lit_display(self, lit, env: dict) -> str | None:
        """A body literal's label with protocols by name and ICMP messages by type and code, when its predicate has
        a protocol column."""
        protos = self.protos.get(lit.pred, ()) if isinstance(lit, Atom) else ()
        return _show(lit, env, protos, self.ports.get(lit.pred)) if protos else None

    def _budget(self, depth: int) -> bool:
        self.count += 1
        return depth <= self.depth and self.count <= self.max_nodes

    def _unify(self, head: Atom, row: tuple) -> dict | None:
        env: dict[str, Any] = {}
        for arg, val in zip(head.args, row):
            if val is None:
                continue
            if isinstance(arg, Const):
                if arg.value != val:
                    return None
            elif isinstance(arg, Var):
                if env.setdefault(arg.name, val) != val:
                    return None
        return env

    def _ground(self, atom: Atom, env: dict) -> tuple:
        out = []
        for a in atom.args:
            if isinstance(a, Const):
                out.append(a.value)
            elif isinstance(a, Var):
                out.append(env.get(a.name))
            elif isinstance(a, BinOp) and set(term_vars(a)) <= set(env):
                out.append(_eval(a, env))
            else:
                out.append(None)
        return tuple(out)

    # -- why -----------------------------------------------------------------------------
    def why(self, pred: str, row: tuple, depth: int = 0, stack: frozenset = frozenset()) -> Node:
        label, disp = _fmt(pred, row), self._display(pred, row)
        if not self._budget(depth):
            return Node(label, True, partial=True, display=disp)
        rules = self.p.rules_by_head.get(pred, [])
        if not rules or (pred, row) in self.p.sources:
            src = self.p.sources.get((pred, row)) or self.p.sources.get((pred, "*"))
            return Node(label, True, source=src, display=disp)
        for rule in rules:
            env = self._unify(rule.head, row)
            if env is None:
                continue
            ordered = self.p.order(rule)
            sols = self.p.solve(list(ordered), env, limit=1)
            if not sols:
                continue
            env = sols[0]
            kids = []
            for lit in ordered:
                if isinstance(lit, Atom) and not lit.negated:
                    key = (lit.pred, self._ground(lit, env))
                    if key in stack:
                        kids.append(Node(_fmt(*key), True, partial=True, display=self._display(*key)))
                    else:
                        kids.append(self.why(key[0], key[1], depth + 1, stack | {(pred, row)}))
                else:
                    kids.append(Node(_show(lit, env), True, display=self._lit_display(lit, env)))
            return Node(label, True, rule=str(rule.loc), bindings=_public(env), children=kids, display=disp)
        return Node(label, False, display=disp)

    # -- why not -------------------------------------------------------------------------
    def why_not(self, pred: str, row: tuple, depth: int = 0) -> Node:
        label, disp = _fmt(pred, row), self._display(pred, row)
        if not self._budget(depth):
            return Node(label, False, partial=True, display=disp)
        rules = self.p.rules_by_head.get(pred, [])
        if not rules:
            misses = []
            if row and row[0] is not None:
                misses = self.p.query(pred, (row[0],) + (None,) * (len(row) - 1))[:20]
            return Node(label, False, near_misses=misses, display=disp)
        node = Node(label, False, display=disp)
        for rule in rules:
            env = self._unify(rule.head, row)
            if env is None:
                node.children.append(Node(f"{rule.loc}: head {show_literal(rule.head)} does not match", False, rule=str(rule.loc)))
                continue
            ordered = self.p.order(rule)
            best, k = env, 0
            for i in range(1, len(ordered) + 1):
                sols = self.p.solve(list(ordered[:i]), env, limit=1)
                if not sols:
                    break
                best, k = sols[0], i
            if k == len(ordered):  # the rule fires (row partially free): not a refutation
                continue
            failing = ordered[k]
            kids = [Node(_show(l, best), True, display=self._lit_display(l, best)) for l in ordered[:k]]
            if isinstance(failing, Atom) and not failing.negated:
                kids.append(self.why_not(failing.pred, self._ground(failing, best), depth + 1))
            elif isinstance(failing, Atom):
                pos = Atom(failing.pred, failing.args, failing.loc)
                inner = self.why(pos.pred, self._ground(pos, best), depth + 1)
                kids.append(Node(_show(failing, best), False, children=[inner], display=self._lit_display(failing, best)))
            else:
                kids.append(Node(_show(failing, best), False, display=self._lit_display(failing, best)))
            node.children.append(Node(f"by the rule {show_literal(rule.head)}", False, rule=str(rule.loc),
                                      bindings=_public(best), children=kids))
        return node


def _public(env: dict) -> dict:
    return {k: v for k, v in sorted(env.items()) if not k.startswith("_")}


def _eval(t, env):
    if isinstance(t, Const):
        return t.value
    if isinstance(t, Var):
        return env[t.name]
    l, r = _eval(t.left, env), _eval(t.right, env)
    return {"+": l + r, "-": l - r, "*": l * r, "/": l // r if r else 0, "%": l % r if r else 0}[t.op]


def _show(lit, env: dict, protos: tuple[int, ...] = (), ports: dict[int, bool] | None = None) -> str:
    ports = ports or {}

    def value(x) -> Any:
        return env.get(x.name) if isinstance(x, Var) else x.value if isinstance(x, Const) else None

    icmp = isinstance(lit, Atom) and any(i < len(lit.args) and value(lit.args[i]) in ICMP for i in protos)

    def t(x, i: int = -1):
        if i in protos:
            v = value(x)
            if isinstance(v, str) and v in PROTOCOL_NAMES:
                return PROTOCOL_NAMES[v]
        if icmp and i in ports and _message(value(x)) is not None:
            return _message(value(x), ports[i])
        if isinstance(x, Var) and x.name in env:
            v = env[x.name]
            return repr(v) if isinstance(v, str) else str(v)
        if isinstance(x, Var):
            return x.name
        if isinstance(x, Const):
            return repr(x.value) if isinstance(x.value, str) else str(x.value)
        if isinstance(x, BinOp):
            return f"{t(x.left)} {x.op} {t(x.right)}"
        return "_"

    if isinstance(lit, Atom):
        return ("!" if lit.negated else "") + f"{lit.pred}({', '.join(t(a, i) for i, a in enumerate(lit.args))})"
    return f"{t(lit.left)} {lit.op} {t(lit.right)}"


def why(program: Program, pred: str, row: tuple, **limits: int) -> Node:
    return Explainer(program, **limits).why(pred, row)


def why_not(program: Program, pred: str, row: tuple, **limits: int) -> Node:
    return Explainer(program, **limits).why_not(pred, row)
