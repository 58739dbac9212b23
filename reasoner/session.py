"""A snapshot loaded with the rules: the engine API the CLI and tests use.

Loads only the relations the rules declare (others stay in the snapshot, unused by rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reasoner.engine.check import check
from reasoner.engine.parse import parse_files
from reasoner.engine.program import Program, bundled_rules
from reasoner.explain.paths import Analyzer, Result
from reasoner.query.language import parse_query
from reasoner.query.names import Resolver, load_aliases


@dataclass
class Session:
    program: Program
    analyzer: Analyzer
    resolver: Resolver
    warnings: list[str]

    @classmethod
    def open(cls, facts: Path, extra_rules: list[Path] | None = None) -> "Session":
        from reasoner.facts.importer import load_snapshot

        snap = load_snapshot(facts)
        shipped = bundled_rules()
        extra = list(extra_rules or [])
        module = parse_files(shipped + extra, [f"rules/{p.name}" for p in shipped] + [str(p) for p in extra])
        program = Program(check(module))
        for rel, rows in snap.relations.items():
            if rel in program.decls and rel not in program.rules_by_head:
                program.add_facts(rel, rows, source=f"{facts}/{rel}")
        warnings = []
        for item in snap.manifest.get("incomplete", []) or []:
            warnings.append(f"the snapshot is incomplete: {_incomplete_text(item)}")
        folder = facts if facts.is_dir() else facts.parent
        return cls(program, Analyzer(program, snap.relations, snap.names), Resolver(snap.relations, snap.names, load_aliases(folder)), warnings)

    def query(self, text: str, depth: int = 3, detail: bool = True) -> Result:
        """Answers one query.  ``depth`` bounds the derivation tree (0: none); ``detail=False`` gives the
        verdict, the packet and the blocking hops only (the fast form for many questions)."""
        q = parse_query(text)
        src, dst = self.resolver.resolve(q.src), self.resolver.resolve(q.dst)
        res = self.analyzer.analyze(str(q), src, dst, q.proto_number, q.port_lo, q.port_hi, depth=depth, detail=detail)
        res.warnings.extend(self.warnings)
        return res


def _incomplete_text(item: object) -> str:
    """``ec2 DescribeNatGateways in 123456789012/eu-west-1: AccessDenied`` for a `reason collect` item."""
    keys = ("service", "operation", "account", "region", "error_code")
    if isinstance(item, dict) and all(k in item for k in keys):
        return f"{item['service']} {item['operation']} in {item['account']}/{item['region']}: {item['error_code']}"
    return str(item)
