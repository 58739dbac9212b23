"""The leg from a load balancer's node to a target, and what it reads of the client when the target group keeps
the client's address (NLB client IP preservation).

With client IP preservation the target receives the client's packet with the client's address
(network/edit-target-group-attributes.html#client-ip-preservation: "Client IPv4 address") and, as this tool reads
it, the client's source port (the node passes the client's packet on; the AWS pages at hand say so of the address
only: README "Not yet"). Both legs then read the same client address and source port, so the question is whether
*one* client packet passes both: the client to the node (leg 1) and, unchanged, the node to the target (leg 2).
Asking the two legs apart would find a client port that leg 1 admits and another that leg 2 admits and call the
load balancer reachable when no packet passes both (a network ACL of the node's subnet that answers only ports
1024-65535 and one of the target's subnet that answers only 0-1023).

How it is answered (the classes of leg 1 are cut so that each is also one class of leg 2):
- internet clients are represented by addresses cut at the rules of the nodes *and* of the preserving target
  groups' targets (``preserved_ranges``), so each representative stands for addresses both legs treat alike;
- leg 2 is asked for the client's address and the source ports of leg 1's packet class (``Endpoint.ports``), cut
  again at the rules of leg 2 (reasoner/explain/space.py ``source_pieces``);
- when leg 2 fails for leg 1's answer, each other class of leg 1 that gets through is tried (``other_clients``),
  so "unreachable" holds for every client packet, not only the first.

Not handled: targets in another VPC reached with a preserved client address (reasoner/explain/loadbalancers.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Iterator

from reasoner import addresses
from reasoner.explain.paths import INTERNET, Endpoint, Explanation, Missing, Result

if TYPE_CHECKING:
    from reasoner.explain.loadbalancers import LoadBalancers


def client_matters(self: "LoadBalancers", tg: str) -> bool:
    """Whether the leg to tg's targets reads the client's packet: tg keeps the client's address, or the snapshot
    does not say whether it does (both values are then asked: ``to_target``)."""
    return self.p.holds("preserves_client_ip", (tg,)) or self.p.holds("preserve_unknown", (tg,))


def preserved_ranges(self: "LoadBalancers", listener: str) -> list[tuple[int, int]]:
    """The address ranges the rules on the targets of ``listener``'s target groups read, for the groups that keep
    (or may keep) the client's address: the internet's representatives are cut there too."""
    tgs = {f[2] for f in self.p.query("listener_forwards", (listener, None, None)) if client_matters(self, f[2])}
    enis = {eni for tg in sorted(tgs) for t in self.p.query("tg_target", (tg, None, None, None, None))
            if (eni := self.n.target_eni(tg, t[2])) is not None}
    return self.a._rules_on([Endpoint(e) for e in sorted(enis)])[2]


def client_ports(leg1: Result) -> tuple[int, int]:
    """The source ports of leg 1's packet class (the ports the client may send from with leg 1's answer), else its
    packet's own port."""
    cls = leg1.packet_class or {}
    if cls.get("src_ports"):
        lo, hi = cls["src_ports"]
        return (lo, hi)
    port = leg1.packet.get("src_port")
    return (port, port) if isinstance(port, int) else (0, 65535)


def passing(self: "LoadBalancers", srcs: list[Endpoint], dst: Endpoint, proto: str, port: int
            ) -> Iterator[tuple[Endpoint, tuple[int, int]]]:
    """Every class of leg 1 (``srcs`` to the node ``dst`` on ``port``) that gets through and back, known (no hop
    blocks it, none lacks data), one packet at a time in pyDatalog: the client as an endpoint of that class's
    address, and the class's source ports. Pairs are not factored (members of a class differ in their address,
    which the leg to a target reads)."""
    an = self.a
    for s in srcs:
        if s.eni == dst.eni:
            continue
        for g in an.space.port_groups(s, dst, proto, port, port):
            for row, d, piece in g.packets():
                an._assert(row, d)
                try:
                    fwd, ret, unk = an._fate()
                finally:
                    an._retract(row, d)
                if not fwd and not ret and not unk:
                    ip = row[2]
                    client = Endpoint(INTERNET, (ip,), family=s.family) if s.is_internet else replace(s, ips=(ip,))
                    yield replace(client, ports=piece.src_ports), piece.src_ports


def aligned(self: "LoadBalancers", query_text: str, leg1: Result, leg2: Result, node: Endpoint, proto: str, port: int,
            depth: int) -> Result:
    """Leg 1 asked again for the source port the target saw, when the target saw the client's packet (its address)
    and leg 2's witness took another port of leg 1's class (every port of the class passes leg 1): the answer then
    shows one packet on both legs, and leg 1's path is that packet's. Otherwise ``leg1``."""
    p1, p2 = leg1.packet, leg2.packet
    if not (leg1.reachable and leg2.reachable) or p2.get("src_ip") != p1.get("src_ip") or p2.get("src_port") == p1.get("src_port"):
        return leg1
    sport = p2["src_port"]
    src = p1["src_eni"]
    client = Endpoint(INTERNET if src == INTERNET else src, (addresses.parse(p1["src_ip"]),), ports=(sport, sport))
    again = self.a.analyze(query_text, [client], [node], proto, port, port, depth)
    return again if again.reachable else leg1


def quick_leg2(self: "LoadBalancers", client: Endpoint, node: str, tg: str, eni: str, ip: int, proto: str,
               port: int) -> Result | None:
    """The leg to the target (address ``ip`` of ``eni``, on ``port``) for a client class (its address and source
    ports), asked cheaply (the verdict and the blocking hops' codes only), when tg keeps the client's address: a
    class it finds blocked need not be answered in full (``other_clients``). None when it does not apply (the full
    combination decides)."""
    cip = client.ips[0] if client.ips else None
    if cip is None or not self.p.holds("preserves_client_ip", (tg,)) or addresses.family(cip) != addresses.family(ip) \
            or cip in self.r.eni_ips.get(eni, ()):
        return None
    return self.a.analyze("", [Endpoint(node, (cip,), ports=client.ports)], [Endpoint(eni, (ip,))], proto, port, port, 0,
                          detail=False)


def _reply_only(res: Result) -> bool:
    """Whether everything that blocks ``res`` blocks the reply (its packet got through going out)."""
    return bool(res.explanations) and all(e.path == "return" for e in res.explanations)


def other_clients(self: "LoadBalancers", query_text: str, leg1: Result, leg1_srcs: list[Endpoint], node: Endpoint,
                  proto: str, port: int, depth: int, first: Result, try_leg2: Callable[[Result], Result],
                  leg2_quick: Callable[[Endpoint], Result | None] | None = None) -> Result:
    """``first`` (leg 1's answer combined with leg 2 over its class, not reachable) unless another class of leg 1
    gets through leg 2 too: then that combination (``try_leg2`` combines a leg 1 answer with its leg 2). An
    inconclusive combination is kept over an unreachable one. ``leg2_quick`` (``quick_leg2``) skips, before the full
    answers are built, a class whose leg to the target is known blocked; when none gets through, a skipped class
    whose packet got further than ``first``'s (blocked on the reply only) is answered in full, so the nearest miss
    names what stops the clients that get furthest."""
    tried = {(addresses.parse(leg1.packet["src_ip"]), client_ports(leg1))} if "src_ip" in leg1.packet else set()
    best = first
    further: Endpoint | None = None  # a skipped class blocked on the reply only
    for client, ports in passing(self, leg1_srcs, node, proto, port):
        key = (client.ips[0], ports)  # type: ignore[index]
        if key in tried:
            continue
        tried.add(key)
        quick = leg2_quick(client) if leg2_quick is not None else None
        if quick is not None and not quick.reachable and not quick.inconclusive:
            if further is None and _reply_only(quick):
                further = client
            continue
        combined = _full(self, query_text, client, node, proto, port, depth, try_leg2)
        if combined is not None and combined.reachable:
            return combined
        best = self._better(best, combined) if combined is not None else best
    if further is not None and best is first and not first.inconclusive and not _reply_only(first):
        combined = _full(self, query_text, further, node, proto, port, depth, try_leg2)
        if combined is not None and (combined.reachable or combined.inconclusive or _reply_only(combined)):
            best = combined  # (its request got through; only the reply is stopped)
    return best


def _full(self: "LoadBalancers", query_text: str, client: Endpoint, node: Endpoint, proto: str, port: int, depth: int,
          try_leg2: Callable[[Result], Result]) -> Result | None:
    """A client class's leg 1, answered in full, combined with its leg 2 (None if leg 1 does not pass after all)."""
    leg1b = self.a.analyze(query_text, [client], [node], proto, port, port, depth)
    return try_leg2(leg1b) if leg1b.reachable else None


def to_target(self: "LoadBalancers", query_text: str, leg1: Result, node: str, tg: str, eni: str, ip: int, proto: str,
              port: int, depth: int, assumed: list[str], unknown: list[Missing]) -> Result:
    """The node to the target. The source the target sees is the client's address when the target group
    preserves it (NLB), else the node's own. When the snapshot does not say whether it does, the AWS default
    is assumed and said (ASSUMPTION_PRESERVE_CLIENT_IP_IS_*); if the other value would change the answer,
    the leg is inconclusive."""
    client_ip = addresses.parse(leg1.packet["src_ip"])
    # "The Network Load Balancer communicates with targets based on the IP address type of the target group"
    # (network/load-balancer-ip-address-type.html): an IPv6 client's connection to an IPv4 target is
    # translated at the load balancer, and the target sees the load balancer's address.
    fam = addresses.family(ip)
    node_ip = next((x for x in self.r.eni_ips[node] if addresses.family(x) == fam), self.r.eni_ips[node][0])
    if addresses.family(client_ip) != fam:
        client_ip = node_ip
    preserves = self.p.holds("preserves_client_ip", (tg,))

    def run(src_ip: int) -> Result:
        # the node's own connection leaves from its ephemeral ports; a client's packet kept as it came, from the
        # ports of leg 1's packet class (``client_ports``)
        src = Endpoint(node, (src_ip,), ports=None if src_ip == node_ip else client_ports(leg1))
        return self.a.analyze(query_text, [src], [Endpoint(eni, (ip,))], proto, port, port, depth)

    def preserved() -> Result:
        if client_ip not in self.r.eni_ips.get(eni, ()):
            return run(client_ip)
        # the target is the client: it receives a packet from its own address, and the connection times out
        # ("Internal load balancers do not support hairpinning or loopback": network/load-balancer-troubleshooting
        # .html#loopback-timeout)
        res = run(client_ip)
        res.reachable = res.inconclusive = False
        res.missing.clear()
        res.explanations.insert(0, Explanation(
            "ELBV2_SOURCE_ADDRESS_PRESERVATION", tg, "egress", "forward",
            f"tg:{self.a.names.get(tg, tg)} keeps the client's address, and the client is this target: it receives a "
            "packet from its own address, and the connection times out (no hairpinning with client IP preservation)",
            "target_group"))
        return res

    leg2 = preserved() if preserves else run(node_ip)
    if self.p.holds("preserve_unknown", (tg,)) and client_ip != node_ip:
        code = f"ASSUMPTION_PRESERVE_CLIENT_IP_IS_{'ENABLED' if preserves else 'DISABLED'}"
        other = run(node_ip) if preserves else preserved()
        if other.verdict != leg2.verdict:
            leg2.reachable, leg2.inconclusive = False, True
            leg2.missing.append(self._missing("target_group", "tg_attribute", tg))
            unknown.append(leg2.missing[-1])
        else:
            assumed.append(f"{code}: the attributes of tg:{self.a.names.get(tg, tg)} are not in the snapshot; client IP "
                           f"preservation is assumed {'on' if preserves else 'off'} (the AWS default), and the answer is "
                           "the same either way")
    return leg2
