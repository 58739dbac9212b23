"""Renders answers and proof trees: text (rich) and JSON.  rich is imported only here and in the CLI."""

from __future__ import annotations

import io
import json
import re

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from reasoner import addresses
from reasoner.engine.provenance import Node
from reasoner.explain import wording
from reasoner.explain.paths import Result
from reasoner.explain.space import NO_REPLY
from reasoner.terminal import markup as m, plain


#: a number standing alone (not part of an id such as ``eni-00001000000001539`` or an ARN's account ``:123456789012:``)
_ADDRESS = re.compile(r"(?<![\w.:/-])(\d{8,39})(?![\w.:/-])")
#: a quoted string as a derivation shows one (``repr``): snapshot data, never rewritten
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"')


def readable(label: str) -> str:
    """A derivation label for people: numbers in the IPv4 range of addresses (1.0.0.0 and up) as dotted quads,
    IPv6 ones (reasoner/addresses.py) in colon notation; ports and protocol numbers are far below them.  Quoted
    values (ids, names, ARNs) and digits inside a word stay as they are.  JSON keeps the numbers the rules hold."""
    def dotted(mo: re.Match) -> str:
        n = int(mo.group(1))
        return addresses.text(n) if 1 << 24 <= n <= addresses.V6_MAX else mo.group(1)

    out, last = [], 0
    for q in _QUOTED.finditer(label):
        out += [_ADDRESS.sub(dotted, label[last:q.start()]), q.group(0)]
        last = q.end()
    return "".join(out) + _ADDRESS.sub(dotted, label[last:])


def proof_tree(node: Node, tree: Tree | None = None, messages: dict[str, str] | None = None) -> Tree:
    """The derivation as a tree; ``messages`` maps a hop predicate that fails to its explanation (the rule's
    ``@message``, filled in for the packet), shown on that hop's node."""
    mark = "[green]✓[/]" if node.holds else "[red]✗[/]"
    text = f"{mark} {m(readable(node.display or node.label))}"
    said = (messages or {}).get(node.label.split("(", 1)[0]) if not node.holds else None
    if said:
        text += f"  [red]— {m(said)}[/]"
    if node.rule and node.rule not in node.label:  # one location per rule
        text += f"  [dim]({m(node.rule)})[/]"
    if node.source:
        text += f"  [dim]from {m(node.source)}[/]"
    if node.partial:
        text += "  [yellow]… (cut: raise --explain)[/]"
    branch = tree.add(text) if tree is not None else Tree(text)
    if node.near_misses:
        nm = branch.add(f"[dim]near misses ({len(node.near_misses)}):[/]")
        for row in node.near_misses[:8]:
            nm.add(f"[dim]{m(row)}[/]")
    elif not node.holds and not node.children and node.rule is None and not node.partial and "(" in node.label:
        branch.add("[dim]no such fact[/]")
    for child in node.children:
        proof_tree(child, branch, messages)
    return branch


def short(component: str) -> str:
    """An ARN as its resource part (``targetgroup/task-tg/73e2…``); other ids unchanged. JSON keeps the full id."""
    if component.startswith("arn:"):
        return component.split(":", 5)[-1]
    return component


def class_text(c: dict) -> str:
    """``tcp from 10.0.1.10 ports 1024-65535 to 10.0.11.20 port 8000`` for a packet class (Result.packet_class)."""
    def ports(r: list[int] | None) -> str:
        if r is None:
            return ""
        return f" port {r[0]}" if r[0] == r[1] else f" ports {r[0]}-{r[1]}"
    fam = " (IPv6)" if c["family"] == "ipv6" else ""
    icmp = f" {c['icmp']}" if c.get("icmp") else ""  # ICMP: the messages (type and code) the class stands for
    return f"{c['protocol']}{icmp}{fam} from {c['src_ips']}{ports(c['src_ports'])} to {c['dst_ips']}{ports(c['dst_ports'])}"


def render_text(res: Result, console: Console, explain: str = "brief") -> None:
    verdict = {"reachable": "[bold green]REACHABLE[/]", "unreachable": "[bold red]UNREACHABLE[/]",
               "inconclusive": "[bold yellow]INCONCLUSIVE[/]"}[res.verdict]
    console.print(f"{verdict}  {m(res.query)}", highlight=False)
    packets = [(k, v) for k, v in res.packet.items() if isinstance(v, dict)] or [("packet", res.packet)]
    if res.packet_class:  # what was proved is the class; the concrete packet is one example of it
        which = {"reachable": "", "unreachable": " (the nearest miss)", "inconclusive": " (undecided)"}[res.verdict]
        console.print(m(f"packet class{which}: {class_text(res.packet_class)}"), highlight=False)
        packets = [("example packet", res.packet)]
    for label, pk in packets:
        if "src_ip" in pk:
            console.print(m(f"{label}: {wording.packet_text(pk)}"), highlight=False)
    for w in res.warnings:
        console.print(f"[yellow]warning:[/] {m(w)}")
    if res.missing:
        console.print("\n[bold]Not decided: the snapshot lacks what the answer depends on[/]")
        for miss in res.missing:
            console.print(f"  [yellow]{m(miss.hop)}[/] {m(short(miss.component))}\n    {m(miss.message)}", highlight=False)
    if res.explanations:  # (an inconclusive answer's codes say where the model stops: nothing is known to block)
        console.print("\n[bold]Undecided at:[/]" if res.verdict == "inconclusive" else "\n[bold]Blocked by:[/]")
        for e in res.explanations:
            where = m(f"{short(e.component)} ({e.path} path, {e.direction})")
            console.print(f"  [red]{m(e.code)}[/] {where}\n    {m(e.message)}", highlight=False)
    for title, hops in (("Forward path", res.forward_path), ("Return path", res.return_path)):
        if not hops and title == "Return path" and res.forward_path and _no_reply(res.packet):
            other = (res.packet.get("protocol") == "icmpv6") != (res.packet.get("family") == "ipv6")
            console.print("\n[bold]Return path:[/] none: " + (
                "no host answers this protocol in a packet of this address family (ICMP is IPv4's, ICMPv6 IPv6's)" if other
                else "this ICMP message gets no reply (RFC 792, RFC 4443)"))
            continue
        if not hops:
            continue
        console.print(f"\n[bold]{title}:[/]")
        _print_whole(console, hop_table(hops))
    if res.proof is not None and explain != "none":
        console.print(f"\n[bold]Derivation ({explain}):[/]")
        said = {e.hop: e.message for e in reversed(res.explanations) if e.hop and e.message}
        _print_whole(console, proof_tree(res.proof, messages=said))


def _no_reply(packet: dict) -> bool:
    """Whether the answer's packet is an ICMP message that gets no reply (its source port 65537:
    reasoner/explain/space.py NO_REPLY), so it has no return path."""
    return packet.get("icmp_type") is not None and packet.get("src_port") == NO_REPLY


def hop_table(hops) -> Table:
    """One row a hop: its number, the component type (Reachability Analyzer's names), the component, the direction
    and the rule that admitted or blocked it.  Columns align whatever the lengths (ARNs, hop 10 and past)."""
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column(justify="right", no_wrap=True)
    for _ in range(3):
        table.add_column(no_wrap=True)
    table.add_column()
    for i, h in enumerate(hops, 1):
        style = "red" if h.detail == "BLOCKED" else None
        cells = (f"  {i}.", h.kind, short(h.component), h.direction, h.detail)
        table.add_row(*(Text(plain(c)) for c in cells), style=style)  # data is text, never markup
    return table


def _print_whole(console: Console, renderable) -> None:
    """On a terminal: wrapped at its width.  In a file or a pipe: rendered at any width and written as is, so
    nothing is cut at 80 columns."""
    if console.is_terminal:
        console.print(renderable, highlight=False)
        return
    wide = Console(file=io.StringIO(), width=10_000, color_system=None, highlight=False, emoji=False)
    wide.print(renderable)
    text = "\n".join(line.rstrip() for line in wide.file.getvalue().rstrip("\n").split("\n"))
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def render_json(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=False)
