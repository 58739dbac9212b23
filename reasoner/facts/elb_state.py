"""Shared pieces of the Elastic Load Balancing v2 importer (:mod:`reasoner.facts.elbv2`, :mod:`reasoner.facts.elb_listeners`).

The per-snapshot state (values only known once every file is read: load balancer ENIs, instance addresses, targets,
listener and rule names, resolved by ``elbv2.finish``), the ELB protocol -> IANA number table and the two small value
helpers both modules use.  Nothing here reads a top-level key by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from reasoner.facts.fields import text as _text, wrapped as _wrapped

if TYPE_CHECKING:  # annotations only
    from reasoner.facts.context import Acc as _Acc, Ctx as _Ctx

#: ELB protocol -> IANA protocol numbers (as the VPC relations spell them).
TRANSPORT: dict[str, tuple[str, ...]] = {
    "HTTP": ("6",), "HTTPS": ("6",), "TCP": ("6",), "TLS": ("6",),
    "UDP": ("17",), "TCP_UDP": ("6", "17"), "GENEVE": ("17",),
    # "Protocols: TCP, TLS, UDP, TCP_UDP, QUIC, TCP_QUIC" (network/load-balancer-listeners.html): QUIC runs over UDP,
    # TCP_QUIC over both. A protocol not listed here gets no elb_transport row: rules/load_balancers.dl reads it as
    # unknown (elb_protocol_unknown), never as "carries nothing".
    "QUIC": ("17",), "TCP_QUIC": ("6", "17"),
}

Handler = Callable[["_Ctx", list[tuple[str, Any]]], None]


# -- per-snapshot state (values only known once every file is read) ---------------------------


@dataclass
class Target:
    c: "_Ctx"
    path: str
    tg: str
    target: str
    ip: int | None  # None: resolve (instance); 0: not an IP endpoint
    port: int
    az: str


@dataclass
class State:
    lb_suffix: dict[str, str] = field(default_factory=dict)  # "app/NAME/ID" -> LB ARN
    lb_enis: list[tuple[str, str, str, list[int]]] = field(default_factory=list)  # eni, suffix, subnet, ips
    instance_ip: dict[str, int] = field(default_factory=dict)  # from Reservations
    eni0_ip: dict[str, int] = field(default_factory=dict)  # instance -> IP of its DeviceIndex-0 ENI
    targets: list[Target] = field(default_factory=list)
    listeners: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # listener -> (lb, protocol, port)
    rules: list[tuple[str, str, int, int]] = field(default_factory=list)  # listener, rule, priority, default


def state(acc: "_Acc") -> State:
    """The import's ELBv2 state, made on first use."""
    st = getattr(acc, "elbv2_state", None)
    if st is None:
        st = State()
        acc.elbv2_state = st  # type: ignore[attr-defined]
    return st


def protocol(c: "_Ctx", obj: Any, key: str, path: str, required: bool = False) -> str:
    """The ELB protocol at ``key`` of ``obj`` (upper case), adding its ``elb_transport`` rows (IANA numbers)."""
    proto = (c.req_str(obj, key, path) if required else _text(c, obj, key, path)).upper()
    for number in TRANSPORT.get(proto, ()):
        c.add("elb_transport", proto, number)
    return proto


def attributes(c: "_Ctx", items: list[tuple[str, Any]], parent_key: str, rel: str) -> None:
    """``[{<parent_key>, Attributes: [{Key, Value}]}]`` -> ``rel(owner, key, value)``."""
    for owner, ap, a in _wrapped(c, items, parent_key, "Attributes"):
        c.add(rel, owner, c.req_str(a, "Key", ap), _text(c, a, "Value", ap))

