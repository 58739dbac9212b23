"""The rule that admitted a hop, written as a person writes it (never an internal id):

    sg-0task inbound tcp 8000 from sg-0alb (rule 1)
    acl-0default rule 100 allow all traffic from 0.0.0.0/0
    rtb-main 10.0.0.0/16 -> local (active)

Read from the snapshot's relations (the rows the rules matched); used for the hops' ``detail`` in every
output.  Handles IPv4 and IPv6 CIDR, security-group and prefix-list sources; ranges that are not one CIDR are
written ``lo-hi``.
"""

from __future__ import annotations

from reasoner import addresses
from reasoner.protocols import ICMP, NAMES, OTHER, icmp_text  # (ICMP and icmp_text are read through this module too)


cidr_text = addresses.range_text  # one CIDR when the range is one (either family), else lo-hi


def packet_text(pk: dict) -> str:
    """A result's packet (``Result.packet``) on one line, as every answer writes it: ``10.0.1.10:1024 ->
    10.0.11.20:8000 tcp``; an IPv6 one bracketed and marked, ``[2600:1f18::10]:1024 -> [2600:1f18::20]:443 tcp
    ipv6``; an ICMP message by its type and code, ``10.0.1.10 -> 10.0.11.20 icmp type 8 code 0`` (its ports are not
    ports)."""
    v6 = " ipv6" if pk.get("family") == "ipv6" else ""
    if "icmp_type" in pk:
        return (f"{pk.get('src_ip')} -> {pk.get('dst_ip')} {pk.get('protocol')} type {pk['icmp_type']} "
                f"code {pk.get('icmp_code')}{v6}")
    return f"{_host_port(pk.get('src_ip'), pk.get('src_port'))} -> {_host_port(pk.get('dst_ip'), pk.get('dst_port'))} {pk.get('protocol')}{v6}"


def _host_port(ip: object, port: object) -> str:
    """``10.0.1.10:1024``, ``[2600:1f18::10]:1024`` (RFC 3986 brackets an IPv6 address before a port)."""
    return f"[{ip}]:{port}" if ":" in str(ip) else f"{ip}:{port}"


def protocol(name: str) -> str:
    """A protocol's name in an answer's JSON (``tcp``, ``50``, ``other``) as a line of text writes it: ``every other
    protocol`` for the class of the protocols no rule names (reasoner/protocols.py OTHER)."""
    return "every other protocol" if name == OTHER else name


def traffic(proto: str, lo: int, hi: int) -> str:
    """``tcp 8000``, ``udp 1024-65535``, ``tcp all ports``, ``icmp``, ``icmp type 8``, ``all traffic``, ``protocol 47``."""
    if proto == "-1":
        return "all traffic"
    name = NAMES.get(proto, f"protocol {proto}")
    if proto in ICMP:
        return name if (lo, hi) == (0, 65535) else f"{name} {icmp_text(lo, hi)}"
    if proto not in ("6", "17"):
        return name
    if (lo, hi) == (0, 65535):
        return f"{name} all ports"
    return f"{name} {lo}" if lo == hi else f"{name} {lo}-{hi}"


def sg_rule(rows: list[tuple], sg: str, rule_id: str, direction: str) -> str:
    """One security group rule; ``rows`` are the group's rule rows (cidr: 7 columns, group/prefix list: 6)."""
    row = next((r for r in rows if r[-1] == rule_id), None)
    if row is None:
        return f"{sg} {direction} rule"
    peer = cidr_text(row[4], row[5]) if len(row) == 7 else str(row[4])
    way = "inbound" if direction == "ingress" else "outbound"
    towards = "from" if direction == "ingress" else "to"
    parts = str(rule_id).split(":")
    number = f" (rule {int(parts[2]) + 1})" if len(parts) > 2 and parts[2].isdigit() else ""
    return f"{sg} {way} {traffic(row[1], row[2], row[3])} {towards} {peer}{number}"


def acl_rule(rows: list[tuple], acl: str, egress: int, number: int) -> str:
    """One network ACL entry; ``rows`` are the ACL's entries (acl, egress, n, proto, plo, phi, lo, hi, action)."""
    row = next((r for r in rows if r[1] == egress and r[2] == number), None)
    if row is None:
        return f"{acl} rule {number}"
    label = "*" if number == 32767 else str(number)
    towards = "to" if egress else "from"
    return f"{acl} rule {label} {row[8]} {traffic(row[3], row[4], row[5])} {towards} {cidr_text(row[6], row[7])}"


def route(rows: list[tuple], pl_rows: list[tuple], rtb: str, ip: int, length: int, ttype: str, target: str, state: str) -> str:
    """The route a route table chose for ip: its whole destination (CIDR or prefix list), its target and state."""
    row = next((r for r in rows if r[3] == length and r[1] <= ip <= r[2] and r[5] == target), None)
    dest = cidr_text(row[1], row[2]) if row else next((r[1] for r in pl_rows if r[3] == target), f"/{length}")
    return f"{rtb} {dest} -> {'local' if ttype == 'local' else target} ({state})"
