"""An answer's data: the verdict, the packet and its class, the forward and return path as hops, the explanations
(codes modelled on Reachability Analyzer's), what is missing, and the derivation.  Built by
``reasoner/explain/paths.py`` (``Analyzer``) and ``hops.py``; rendered by ``render.py``, ``aws.py``, ``diagram.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reasoner import __version__, addresses
from reasoner.engine.provenance import PROTOCOL_NAMES, Node
from reasoner.explain import wording
from reasoner.explain.space import PORTED

INTERNET = "internet"
#: The hop predicates of rules/reachability.dl, in path order: forward, then return.
HOPS = ["fwd_sg_egress", "fwd_nacl_out", "fwd_route", "fwd_nacl_in", "fwd_sg_ingress", "ret_nacl_out", "ret_route", "ret_nacl_in"]
PROTO_NAMES = PROTOCOL_NAMES  # IANA number as the rules hold it -> name (reasoner/engine/provenance.py)


ip_text = addresses.text  # an address as text, either family (cached: a proof writes the same few many times)


@dataclass
class Hop:
    component: str
    kind: str
    direction: str
    detail: str
    hop: str
    #: the packet at this hop (src_eni, dst_eni, src_ip, dst_ip, proto, src_port, dst_port), None for hops of no packet
    row: tuple | None = None
    #: what decided the hop, as data for the renderers: ("sg_rule", sg, rule id), ("acl_rule", acl, egress, number),
    #: ("route", rtb, ip, prefix length, target type, target, state), ("tgw_route", tgw rtb, in attachment, out attachment),
    #: ("igw", igw), ("listener", arn), ("target_group", arn, target, port); () when nothing more is known
    ref: tuple = ()

    def to_json(self, seq: int) -> dict:
        return {"sequence": seq, "component": self.component, "kind": self.kind, "direction": self.direction,
                "detail": self.detail, "hop": self.hop}


@dataclass
class Explanation:
    code: str
    component: str
    direction: str
    path: str
    message: str
    hop: str
    #: the packet the explanation is about, and what decided it (as Hop.ref); filled for the renderers
    row: tuple | None = None
    ref: tuple = ()

    def to_json(self) -> dict:
        return {"code": self.code, "component": self.component, "direction": self.direction, "path": self.path,
                "message": self.message, "hop": self.hop}


@dataclass(frozen=True)
class Missing:
    """What the snapshot lacks (or the model does not follow) for one hop of an inconclusive packet."""

    hop: str
    missing: str
    component: str
    message: str

    def to_json(self) -> dict:
        return {"hop": self.hop, "missing": self.missing, "component": self.component, "message": self.message}


REACHABLE, UNREACHABLE, INCONCLUSIVE = "reachable", "unreachable", "inconclusive"


@dataclass
class Result:
    """One answer.  ``reachable`` is True only for a packet whose every hop passes on known data;
    ``inconclusive`` means no packet gets through and some packet's fate depends on missing or unmodelled
    data (``missing`` says what); otherwise the answer is unreachable, which holds for the whole packet space."""

    query: str
    reachable: bool
    packet: dict[str, Any]
    forward_path: list[Hop] = field(default_factory=list)
    return_path: list[Hop] = field(default_factory=list)
    explanations: list[Explanation] = field(default_factory=list)
    proof: Node | None = None
    warnings: list[str] = field(default_factory=list)
    packets_checked: int = 0
    #: the packet class (reasoner/explain/space.py Piece) ``packet`` is an example of: every packet of it has
    #: the same fate (address, port ranges as text; None for answers through a load balancer)
    packet_class: dict[str, Any] | None = None
    #: the address families of the packets checked ("ipv4", "ipv6"): what an "unreachable" covers
    families: list[str] = field(default_factory=list)
    #: endpoint pairs the answer covers; ``factored``: pairs no rule tells apart were evaluated once
    endpoint_pairs: int = 0
    factored: bool = False
    inconclusive: bool = False
    missing: list[Missing] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return REACHABLE if self.reachable else INCONCLUSIVE if self.inconclusive else UNREACHABLE

    def to_json(self) -> dict:
        return {
            "schema": "reason.query/v1",
            "tool_version": __version__,
            "query": self.query,
            "verdict": self.verdict,
            "reachable": None if self.inconclusive and not self.reachable else self.reachable,
            "missing": [m.to_json() for m in self.missing],
            "packet": self.packet,
            "packet_class": self.packet_class,
            "forward_path": [h.to_json(i + 1) for i, h in enumerate(self.forward_path)],
            "return_path": [h.to_json(i + 1) for i, h in enumerate(self.return_path)],
            "explanations": [e.to_json() for e in self.explanations],
            "warnings": self.warnings,
            "packets_checked": self.packets_checked,
            "families": self.families,
            "endpoint_pairs": self.endpoint_pairs,
            "factored": self.factored,
            "proof": self.proof.to_json() if self.proof else None,
        }


def _ips(lo: int, hi: int) -> str:
    """One address as itself, a range as a CIDR when it is one, else ``lo-hi``."""
    return addresses.text(lo) if lo == hi else addresses.range_text(lo, hi)


def _classed(res: "Result", row: tuple, piece) -> "Result":
    """``res`` with the class of the packet it reports (the piece of the packet space ``row`` stands for)."""
    if piece is not None and "src_ip" in res.packet:
        ported = row[4] in PORTED
        res.packet_class = {
            "protocol": PROTO_NAMES.get(row[4], row[4]), "family": addresses.family(row[2]),
            "src_ips": _ips(*piece.src_ips), "dst_ips": _ips(*piece.dst_ips),
            "src_ports": list(piece.src_ports) if ported else None, "dst_ports": list(piece.dst_ports) if ported else None}
        if row[4] in wording.ICMP:  # its messages (the piece of type * 256 + code it stands for)
            res.packet_class["icmp"] = wording.icmp_text(*piece.dst_ports)
    return res
