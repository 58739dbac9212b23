"""The rules and addresses that cut a question's packet space (reasoner/explain/space.py reads them).

``RuleLookups`` is the part of ``Analyzer`` (paths.py) that finds, for the endpoints of a question, the security group
rules, network ACL entries and route ranges a packet of theirs may meet, and the representative internet addresses:
every address range a rule names cuts the space, so one address per piece stands for the piece.  What the rules
*decide* is not here: it is the rules' (rules/*.dl), asked by paths.py.
"""
from __future__ import annotations

import ipaddress
from functools import cached_property
from typing import TYPE_CHECKING, Iterable

from reasoner import addresses
from reasoner.explain.space import cuts

if TYPE_CHECKING:
    from reasoner.explain.paths import Endpoint

#: Addresses that are never "the internet" (RFC 1918, RFC 6598, loopback, link-local, multicast and
#: reserved): an internet gateway rejects them (IGW_*_RFC1918_*, IGW_*_RFC6598_* codes).  For IPv6 the
#: internet is the global unicast space 2000::/3 (RFC 4291 2.4): everything outside it is listed here.
NOT_INTERNET = [ipaddress.IPv4Network(n) for n in ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
                                                   "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3")]
NOT_INTERNET_RANGES = [(int(n.network_address), int(n.broadcast_address)) for n in NOT_INTERNET] + [
    (addresses.V6_FLOOR, int(ipaddress.IPv6Address("2000::")) - 1), (int(ipaddress.IPv6Address("4000::")), addresses.V6_MAX)]

_FILLED = "\0filled"  # Analyzer._first_of: the whole relation is in the cache


def own_public_ips(relations: dict[str, list[tuple]]) -> dict[int, str]:
    """Every public IP the snapshot gives a resource of its own (an ENI's, a NAT gateway's, a load balancer's), to
    its owner: addresses of the snapshot, not of the internet."""
    out = {r[2]: r[0] for r in relations.get("eni_public_ip", [])}
    out.update({ip: nat for nat, ip in relations.get("nat_public_ip", [])})
    out.update({r[-1]: r[0] for r in relations.get("lb_public_ip", []) if isinstance(r[-1], int)})
    return out


def _public(ip: int) -> bool:
    return not any(lo <= ip <= hi for lo, hi in NOT_INTERNET_RANGES)


class RuleLookups:
    """The rule and address lookups of ``Analyzer`` (which sets ``eni``, ``sgs``, ``sg_rules``, ``nacl_entries``,
    ``routes``, ``pl_routes``, ``pl_cidrs``, ``transit_subnets``, ``vpc_ranges``, ``private_v6``, the caches, ``derived``
    and ``p``, ``rel``)."""

    def _rules_on(self, eps: list[Endpoint]) -> tuple[list[tuple], list[tuple], list[tuple[int, int]]]:
        """The SG rules, NACL entries and route/CIDR ranges that can look at packets of these endpoints."""
        sg_rules, nacl, ranges = [], [], []
        for ep in eps:
            if ep.is_internet or ep.eni not in self.eni:
                continue
            rules, sg_ranges = self.sg_rules_of(self.sgs.get(ep.eni, []))
            _, sub, vpc, _ = self.eni[ep.eni]
            entries, net_ranges = self.network_rules_of(sub, vpc)
            sg_rules += rules
            nacl += entries
            ranges += sg_ranges + net_ranges
        return sg_rules, nacl, ranges

    def sg_rules_of(self, sgs: Iterable[str]) -> tuple[list[tuple], list[tuple[int, int]]]:
        """The rules of these security groups, and the CIDR ranges they name (a prefix list's entries each)."""
        sg_rules, ranges = [], []
        for g in sgs:
            for r in self.sg_rules.get(g, []):
                sg_rules.append(r)
                if len(r) == 7 and isinstance(r[4], int):
                    ranges.append((r[4], r[5]))
                elif isinstance(r[4], str):
                    ranges.extend((c[1], c[2]) for c in self.pl_cidrs.get(r[4], []))
        return sg_rules, ranges

    def network_rules_of(self, sub: str, vpc: str) -> tuple[list[tuple], list[tuple[int, int]]]:
        """The NACL entries and route ranges a path from or to subnet ``sub`` of ``vpc`` may cross: those of the
        subnet and of the VPC's transit subnets (transit gateway attachments, NAT gateways)."""
        nacl, ranges = [], []
        for on_path in [sub] + sorted(self.transit_subnets.get(vpc, set()) - {sub}):
            for r in self.nacl_entries.get(self.acl_of(on_path), []):
                nacl.append(r)
                ranges.append((r[6], r[7]))
            rtb = self._rtb_of_subnet(on_path)
            ranges.extend((r[1], r[2]) for r in self.routes.get(rtb, []))
            for r in self.pl_routes.get(rtb, []):  # routes to prefix lists: each entry is a range
                ranges.extend((c[1], c[2]) for c in self.pl_cidrs.get(r[1], []))
        return nacl, ranges

    def acl_of(self, sub: str) -> str:
        """The network ACL the subnet uses (explicit, else its VPC's default: rules/network_acls.dl); "" if unknown."""
        return self._first_of("subnet_acl", self._acl_cache, sub)

    def _rtb_of_subnet(self, sub: str) -> str:
        return self._first_of("subnet_route_table", self._rtb_cache, sub)

    def _first_of(self, pred: str, cache: dict[str, str], sub: str) -> str:
        """The second column of ``pred``'s first row (sorted) for subnet ``sub``; "" when it has none.  Once the set
        engine is built (``derived``), its whole relation is read once (the engines agree: tests/engine), so a set
        question never loads pyDatalog for it; before, pyDatalog is asked for the one subnet (asking it the whole
        relation costs about 1 s at 20k ENIs: it walks every ENI)."""
        if sub not in cache:
            if self.derived is not None and _FILLED not in cache:
                for s, v in sorted(self.derived(pred)):  # (symbols) the first row of each subnet is kept
                    cache.setdefault(s, v)
                cache[_FILLED] = ""
            if sub not in cache:
                rows = [] if _FILLED in cache else self.p.query(pred, (sub, None))
                cache[sub] = rows[0][1] if rows else ""
        return cache[sub]

    @cached_property
    def snapshot_public(self) -> dict[int, str]:
        """The public IPs the snapshot gives its own resources (ENIs', NAT gateways', load balancers'): not the
        internet's addresses (a packet to one leaves by an internet gateway and comes back in), so never a
        representative of the internet (``internet_cuts``). Built when a question first needs the internet."""
        return own_public_ips(self.rel)

    def internet_cuts(self, ranges: list[tuple[int, int]]) -> list[int]:
        """The address space cut at every relevant CIDR, the reserved ranges and the snapshot's VPC CIDRs; and, where
        a piece would start at a public IP of the snapshot's own (``snapshot_public``: a rule naming exactly one, an
        allowed partner's elastic IP that is also ours), cut again after it, until no piece but its own starts there.
        Those one-address pieces are not the internet (``internet_ips`` leaves them out); elsewhere a piece's first
        address stands for it, and every address of the piece meets the same rules."""
        bounds = list(ranges) + NOT_INTERNET_RANGES + self.vpc_ranges + [addresses.FAMILIES["ipv4"]]
        points = cuts(0, addresses.V6_MAX, bounds)
        ours = self.snapshot_public
        if ours and not ours.keys().isdisjoint(points):
            found = set(points)
            todo = sorted(found & ours.keys())
            while todo:  # (a run of consecutive public IPs of ours: each a piece of its own)
                ip = todo.pop()
                if ip < addresses.V6_MAX and ip + 1 not in found:
                    found.add(ip + 1)
                    if ip + 1 in ours:
                        todo.append(ip + 1)
            points = sorted(found)
        return points

    def internet_ips(self, ranges: list[tuple[int, int]]) -> list[int]:
        """Representative public addresses: the address space cut at every relevant CIDR, at the reserved ranges and
        at the snapshot's VPC CIDRs; one public address per piece, none of the snapshot's own public IPs, none in a
        private IPv6 block.  A piece inside a VPC CIDR of the snapshot that is public (a public IPv4 range, a VPC's
        IPv6 block) is the internet too: its addresses are the internet's, or another VPC's ENIs reaching over the
        internet, so the rules leave a path from or to one undecided (rules/internet_gateways.dl
        internet_in_vpc_range); it was left out, and an ENI only such addresses reach read as isolated.  The pieces in
        the ENI end's own VPC are left out by the packet space (space.py): the VPC routes those addresses itself."""
        private, ours = self.private_v6, self.snapshot_public
        return [ip for ip in self.internet_cuts(ranges)
                if _public(ip) and ip not in ours and not any(lo <= ip <= hi for lo, hi in private)]
