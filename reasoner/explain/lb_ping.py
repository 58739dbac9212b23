"""An Application Load Balancer's node answering a ping itself.

"You can open Internet Control Message Protocol (ICMP) connections for the load balancer to respond to ping requests
(however, ping requests are not forwarded to any instances)" (application/load-balancer-update-security-groups.html).

Handled: an ICMP echo request (type 8 code 0) to an ALB's node is a plain packet to the node's ENI (its security group,
network ACL and routes decide), answered there and never forwarded to a target. Any other ICMP message to the node is
refused (ELBV2_LISTENERS_MISMATCH), as before. Not handled: Network Load Balancers (nothing documented: their nodes
accept only what a listener accepts), ICMPv6 echo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reasoner.explain.paths import Endpoint, Result

if TYPE_CHECKING:
    from reasoner.explain.loadbalancers import LoadBalancers

#: an ICMP echo request, type 8 code 0, as the rules spell a message (type * 256 + code)
ECHO_REQUEST = 8 * 256


def answers_ping(self: "LoadBalancers", lb: str) -> bool:
    """True for an Application Load Balancer (rules/load_balancers.dl ``lb_answers_ping``)."""
    return self.p.holds("lb_answers_ping", (lb,))


def ping(self: "LoadBalancers", query_text: str, srcs: list[Endpoint], nodes: list[Endpoint], lb: str, lo: int, hi: int,
         depth: int, detail: bool = True) -> Result:
    """ICMP messages ``lo``..``hi`` to ``nodes`` of the ALB ``lb``: an echo request among them is asked as a plain
    packet to the nodes (it stops there); none: ELBV2_LISTENERS_MISMATCH. A load balancer that routes nothing
    (State) answers as it does for a request (BAD_STATE, or undecided)."""
    name = self.n.lb_label(lb)
    base = Result(query_text, False, {"load_balancer": lb})
    stopped = self._not_routing(base, lb, name)
    if stopped is not None:
        return stopped
    if not lo <= ECHO_REQUEST <= hi:
        return self._blocked(base, "ELBV2_LISTENERS_MISMATCH", lb, f"{name} answers only ICMP echo requests (ping) itself, "
                             "and listens on tcp or udp ports")
    res = self.a.analyze(query_text, srcs, nodes, "1", ECHO_REQUEST, ECHO_REQUEST, depth, detail=detail)
    note = (f"the node of {name} answers the ping itself: ping requests are not forwarded to any target "
            "(application/load-balancer-update-security-groups.html)")
    if res.reachable and note not in res.warnings:
        res.warnings.append(note)
    return res
