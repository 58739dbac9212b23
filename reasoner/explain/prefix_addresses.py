"""The addresses of the IPv6 prefixes delegated to ENIs (``eni_ipv6_prefix``) that a question asks.

An IPv6 prefix delegated to a network interface ("Assign prefixes to network interfaces", ec2-prefix-eni.html: a
/80, such as the pod addresses of an EKS cluster in IPv6 mode) holds 2^48 addresses, every one the ENI's.  They
cannot be read one by one as IPv4 /28 prefixes are (reasoner/facts/network_interfaces.py).  So each prefix is cut into pieces no
rule can tell apart, and the first address of each piece becomes an address of the ENI (an ``eni_ip`` row, for
this session only: the facts stay as AWS gave them).  Asking those addresses asks the whole prefix:

- a rule compares an address only with values of the snapshot or constants of the rules (ranges ``Lo <= Ip,
  Ip <= Hi`` and equalities); the prefix is cut at every such value inside it (at ``v`` and ``v + 1``), so two
  addresses of one piece satisfy the same comparisons;
- that is the argument of the symmetry gate (reasoner/engine/symmetry.py ``gate``: no order comparison of an
  address against a computed value, no arithmetic on one), asked of the rules with ``eni_ip``'s address column
  and the packet's address columns as the columns that may hold such an address.  When the gate refuses (a
  rule would break the argument), no address of the prefixes is added and a warning says that the answers do
  not cover them, naming the rule.

The pieces themselves are returned too (first address -> the piece's range), so that an answer names the piece
its packet stands for (reasoner/explain/space.py), not only the address asked.

Not handled: an address of a prefix named in a query is that address only when it is a piece's first; the
others are refused by name resolution (the question layer resolves ENI addresses from ``eni_ip``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from reasoner.engine.check import Checked
from reasoner.engine.symmetry import gate, program_constants

#: The columns that may hold a prefix's address: the ENI's addresses and the packet's (reasoner/explain/factor.py).
OWNED = frozenset({("eni_ip", 1), ("packet", 2), ("packet", 3)})
#: Per-query columns holding values from outside the snapshot (internet addresses, protocols, ports).
COMPUTED = frozenset({("packet", i) for i in range(2, 7)})


Pieces = dict[int, tuple[int, int]]


def prefix_addresses(relations: dict[str, list[tuple]], checked: Checked) -> tuple[list[tuple[str, int]], Pieces, list[str]]:
    """``(eni, address)`` rows standing for every address of the delegated IPv6 prefixes, the piece each stands
    for (its first address -> the piece's first and last), and warnings (none when the prefixes are covered)."""
    prefixes = sorted(set(relations.get("eni_ipv6_prefix", [])), key=lambda r: (r[1], r[2], r[0]))
    if not prefixes:
        return [], {}, []
    refusals = gate(checked, OWNED, COMPUTED)
    if refusals:
        return [], {}, [f"the addresses of {len(prefixes)} IPv6 prefix(es) delegated to ENIs are not asked: {refusals[0]} "
                    "(the rules could tell apart addresses of one piece of a prefix); no answer covers traffic to or "
                    "from them"]
    los = [lo for _, lo, _ in prefixes]
    width = max(hi - lo for _, lo, hi in prefixes)
    inside: set[int] = set()

    def note(v: object) -> None:
        if type(v) is int and los[0] <= v:
            i = bisect_right(los, v)  # prefixes starting at or below v (they may overlap: check each nearby)
            for j in range(i - 1, -1, -1):
                _, lo, hi = prefixes[j]
                if lo + width < v:
                    break
                if lo <= v <= hi:
                    inside.add(v)
                    return

    for rel, rows in relations.items():
        if rel == "eni_ipv6_prefix":
            continue  # (a prefix's own bounds are its pieces' bounds already)
        for row in rows:
            for v in row:
                note(v)
    for v in program_constants(checked):
        note(v)
    cuts = sorted(inside | {v + 1 for v in inside})
    out: list[tuple[str, int]] = []
    pieces: Pieces = {}
    for eni, lo, hi in prefixes:
        starts = sorted({lo} | set(cuts[bisect_left(cuts, lo + 1):bisect_right(cuts, hi)]))
        out.extend((eni, ip) for ip in starts)
        for first, nxt in zip(starts, starts[1:] + [hi + 1]):
            pieces.setdefault(first, (first, nxt - 1))  # (overlapping prefixes: the first one's piece)
    return out, pieces, []
