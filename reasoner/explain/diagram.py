"""``reason query --format mermaid|dot``: the forward and return path as a diagram.

Components are nodes (id, name, component type), each edge carries what admitted or blocked the hop it
enters (``rule 100 allow``, ``route /16 -> local (active)``, ``BLOCKED: ENI_SG_RULES_MISMATCH``); blocked
and undecided hops are red / orange.  For a set query (a subnet, group, VPC, ``*``, ...), ``pairs`` (the
member pairs that pass, from :func:`passing_pairs`) are drawn as a third cluster.

Every string from the snapshot is quoted for the target language: Mermaid labels use ``#quot;``-style
entities, DOT labels backslash-escape quotes; control characters (C0, DEL, C1, line breaks, bidi controls) are shown
as escapes (``\\x9b``, ``\\u202e``), as on the terminal (:func:`reasoner.terminal.plain`).
"""

from __future__ import annotations

from typing import Any, Callable

from reasoner.errors import QueryError
from reasoner.explain.paths import Explanation, Hop, Result
from reasoner.terminal import plain

#: a set query's member pairs are checked up to this many (each is one verdict-only question)
MAX_PAIRS = 400

RED, ORANGE = "#c62828", "#ef6c00"


def _clean(text: str) -> str:
    """One line of text, every control character shown as an escape, as on the terminal (reasoner/terminal.py
    ``plain``: C0, DEL, C1, line breaks and bidi controls), so a label can neither break the diagram's syntax nor
    reach the terminal or viewer it is shown in as a control sequence."""
    return plain(text)


def _mm(text: str) -> str:
    """A Mermaid label: quotes, angle brackets, ampersands, pipes and hashes as entities."""
    out = _clean(text).replace("#", "#35;")  # first: the entities below start with '#'
    for ch, ent in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("|", "#124;"),
                    ("[", "#91;"), ("]", "#93;"), ("{", "#123;"), ("}", "#125;"), ("`", "#96;")):
        out = out.replace(ch, ent)
    return out


def _dot(text: str) -> str:
    return _clean(text).replace("\\", "\\\\").replace('"', '\\"')


def _edge_label(h: Hop, explanations: list[Explanation]) -> str:
    if h.detail in ("BLOCKED", "UNKNOWN"):
        codes = [e.code for e in explanations if e.hop == h.hop and e.row == h.row] or [h.detail]
        return f"{h.detail}: {', '.join(dict.fromkeys(codes))}"
    return h.detail


def _paths(res: Result) -> list[tuple[str, str, list[Hop]]]:
    return [(p, title, hops) for p, title, hops in (("f", "Forward path", res.forward_path), ("r", "Return path", res.return_path))
            if hops]


def passing_pairs(session: Any, text: str) -> tuple[list[tuple[str, str]], int]:
    """For a set query (several sources or destinations, no load balancer): the member pairs (source ENI,
    destination ENI) that pass, each asked as its own verdict-only question on the query's packet space, and
    how many pairs were left unchecked (past MAX_PAIRS).  Not a set query: no pairs."""
    from reasoner.query.language import parse_query

    q = parse_query(text)
    ep = session.endpoints
    if ep.names_load_balancer(q.src, q.dst):
        return [], 0
    srcs, dsts = ep.resolve(q.src, q.family), ep.resolve(q.dst, q.family)
    if any(ep.lb_of_node(d.eni) for d in dsts):
        return [], 0
    candidates = [(s, d) for s in srcs for d in dsts if s.eni != d.eni]
    if len(candidates) <= 1:
        return [], 0
    out = []
    for s, d in candidates[:MAX_PAIRS]:
        try:
            r = session.analyzer.analyze(str(q), [s], [d], q.proto_number, q.port_lo, q.port_hi, depth=0, detail=False)
        except QueryError:
            continue
        if r.reachable:
            out.append((s.eni, d.eni))
    return out, max(len(candidates) - MAX_PAIRS, 0)


def render_diagram(res: Result, fmt: str, label: Callable[[str], str] = lambda r: r,
                   pairs: list[tuple[str, str]] | None = None, unchecked: int = 0) -> str:
    text = mermaid(res, label, pairs) if fmt == "mermaid" else dot(res, label, pairs)
    if unchecked:
        note = f"{unchecked} member pairs past the first {MAX_PAIRS} were not checked"
        text += f"%% {note}\n" if fmt == "mermaid" else f"// {note}\n"
    return text


def mermaid(res: Result, label: Callable[[str], str] = lambda r: r, pairs: list[tuple[str, str]] | None = None) -> str:
    lines = ["flowchart LR", f"  %% reason query: {_clean(res.query)} -- {res.verdict.upper()}"]
    red: list[str] = []
    orange: list[str] = []
    red_links: list[int] = []
    links = 0
    for prefix, title, hops in _paths(res):
        lines.append(f'  subgraph {prefix}path["{title}"]')
        lines.append("    direction LR")
        for i, h in enumerate(hops, 1):
            node = f"{prefix}{i}"
            lines.append(f'    {node}["{_mm(label(h.component))}<br/>{_mm(h.kind)}"]')
            if h.detail == "BLOCKED":
                red.append(node)
            elif h.detail == "UNKNOWN":
                orange.append(node)
        for i in range(2, len(hops) + 1):
            h = hops[i - 1]
            lines.append(f'    {prefix}{i - 1} -->|"{_mm(_edge_label(h, res.explanations))}"| {prefix}{i}')
            if h.detail in ("BLOCKED", "UNKNOWN"):
                red_links.append(links)
            links += 1
        lines.append("  end")
    if pairs:
        lines.append('  subgraph pairs["Member pairs that pass"]')
        for n, (s, d) in enumerate(pairs, 1):
            lines.append(f'    p{n}s["{_mm(label(s))}"] -->|"passes"| p{n}d["{_mm(label(d))}"]')
            links += 1
        lines.append("  end")
    lines.append(f"  classDef blocked fill:#ffebee,stroke:{RED},color:{RED}")
    lines.append(f"  classDef unknown fill:#fff3e0,stroke:{ORANGE},color:{ORANGE}")
    if red:
        lines.append(f"  class {','.join(red)} blocked")
    if orange:
        lines.append(f"  class {','.join(orange)} unknown")
    for n in red_links:
        lines.append(f"  linkStyle {n} stroke:{RED},color:{RED}")
    return "\n".join(lines) + "\n"


def dot(res: Result, label: Callable[[str], str] = lambda r: r, pairs: list[tuple[str, str]] | None = None) -> str:
    lines = ["digraph reason {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];', '  edge [fontname="Helvetica"];',
             f'  label="{_dot(res.query)}: {res.verdict.upper()}";', "  labelloc=t;"]
    for prefix, title, hops in _paths(res):
        lines.append(f"  subgraph cluster_{prefix} {{")
        lines.append(f'    label="{title}";')
        for i, h in enumerate(hops, 1):
            attrs = f'label="{_dot(label(h.component))}\\n{_dot(h.kind)}"'
            if h.detail == "BLOCKED":
                attrs += f', color="{RED}", fontcolor="{RED}", penwidth=2'
            elif h.detail == "UNKNOWN":
                attrs += f', color="{ORANGE}", fontcolor="{ORANGE}", style=dashed'
            lines.append(f"    {prefix}{i} [{attrs}];")
        for i in range(2, len(hops) + 1):
            h = hops[i - 1]
            attrs = f'label="{_dot(_edge_label(h, res.explanations))}"'
            if h.detail in ("BLOCKED", "UNKNOWN"):
                attrs += f', color="{RED if h.detail == "BLOCKED" else ORANGE}", fontcolor="{RED if h.detail == "BLOCKED" else ORANGE}"'
            lines.append(f"    {prefix}{i - 1} -> {prefix}{i} [{attrs}];")
        lines.append("  }")
    if pairs:
        lines.append("  subgraph cluster_pairs {")
        lines.append('    label="Member pairs that pass";')
        for n, (s, d) in enumerate(pairs, 1):
            lines.append(f'    p{n}s [label="{_dot(label(s))}"];')
            lines.append(f'    p{n}d [label="{_dot(label(d))}"];')
            lines.append(f'    p{n}s -> p{n}d [label="passes"];')
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"
