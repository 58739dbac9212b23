"""Elastic Load Balancing v2 (ALB, NLB, GWLB): describe-* JSON -> base relations (ECS: :mod:`reasoner.facts.ecs`).

Registered in :mod:`reasoner.facts.importer` (its dispatch table of top-level keys); the relations
are declared, one "Holds if ..." line each, in ``rules/01_load_balancer_snapshot.dl``.

Top-level keys (Batfish layout for the first ones; the collector writes the same shapes):

* ``LoadBalancers`` (describe_load_balancers items) -> ``load_balancer``, ``lb_subnet``, ``lb_sg``,
  ``lb_state``, ``lb_dns``, ``lb_node_ip`` / ``lb_public_ip`` (from ``LoadBalancerAddresses``),
  ``lb_ip_address_type`` (``IpAddressType``, default ipv4)
* ``LoadBalancerAttributes`` ``[{LoadBalancerArn, Attributes[{Key, Value}]}]`` -> ``lb_attribute``
* ``LoadBalancerListeners`` ``[{LoadBalancerArn, Listeners[...]}]``, or plain listener items each naming its
  ``LoadBalancerArn`` -> ``listener``, and the listener's ``DefaultActions`` -> ``listener_action``,
  ``action_forward``, ``action_redirect``, ``action_fixed_response`` (owner = the listener ARN; a Gateway Load
  Balancer's listener, which has no ``Port`` nor ``Protocol``, gets port 0 and protocol ""); ``lb_listeners_listed``
  for every wrapped entry and, in the plain form, every load balancer a listener names (a load balancer without
  either has listeners the snapshot does not know)
* ``LoadBalancerListenerRules`` ``[{ListenerArn, Rules[...]}]`` -> ``listener_rule``, ``rule_condition``,
  ``rule_source_ip`` and the rule's ``Actions`` (owner = the rule ARN); ``listener_rules_listed`` for every entry (an
  ALB listener without one has rules the snapshot does not know)
* ``TargetGroups`` -> ``target_group``, ``tg_lb``, ``tg_health_check``
* ``TargetGroupAttributes`` ``[{TargetGroupArn, Attributes[...]}]`` -> ``tg_attribute``, and ``tg_attributes_listed``
  for every entry (a target group without one has attributes the snapshot does not know)
* ``LoadBalancerTargetHealth`` ``[{TargetGroupArn, TargetHealthDescriptions[...]}]`` -> ``tg_target``
  (the registered targets: describe_target_health is the API that lists them), ``target_health``, and
  ``tg_targets_listed`` for every entry (a target group without one has targets the snapshot does not know)
* ``LoadBalancerTags``, ``TargetGroupTags`` (`reason collect`, per resource) and ``TagDescriptions``
  (``aws elbv2 describe-tags``) -> ``tag`` (the other resources' tags come with their describe answers)
* ``NetworkInterfaces`` (after the importer's own handler): an ENI whose ``Description`` is
  ``ELB app/NAME/ID`` / ``ELB net/NAME/ID`` / ``ELB gwy/NAME/ID`` (how AWS describes the ENIs of a
  load balancer) -> ``lb_eni`` and ``lb_node_ip`` (each of its private IPv4 addresses, in its subnet).
* ``Reservations`` (after the importer's own handler): instance primary private IPs, used to give
  instance targets an address.

Encoding and choices (see the .dl file for each column):

* ids are ARNs (load balancers, listeners, rules, target groups) or EC2 ids; IPv4 as int;
  booleans as 0/1; protocols of listeners/target groups/health checks as the ELB API spells them,
  upper case (``HTTP``, ``TCP_UDP``, ``GENEVE``); ``elb_transport`` maps each one seen to the IANA
  number(s) used by the VPC relations (``"6"``, ``"17"``).
* A listener rule's ``Priority`` ``"default"`` is encoded as 50001 (above the API maximum 50000, so it
  sorts last) with ``is_default`` 1. Without a ``LoadBalancerListenerRules`` file only the listener's
  default actions (owner = listener ARN) are known; with it, the default rule repeats them (owner = rule).
* ``action_forward`` weight: ``ForwardConfig.TargetGroups[].Weight`` (default 1) when present,
  otherwise ``TargetGroupArn`` with weight 1. Weight 0 means the target group gets no traffic.
* Health check port ``traffic-port`` is encoded as ``port`` 0 with ``traffic_port`` 1: the check goes
  to each target's own registered port (which may differ from the target group's port). An explicit
  port gives ``traffic_port`` 0.
* ``tg_target.ip``: ip targets -> the target id itself; instance targets -> the instance's primary
  private IPv4 (``Reservations`` ``PrivateIpAddress``, else the ``PrivateIpAddress`` of its ENI at
  ``DeviceIndex`` 0 in ``NetworkInterfaces``), **0 when unknown**; lambda and alb targets -> 0 (not an
  IP endpoint; an ``alb`` target's id is the ALB's ARN). IPv6 targets are skipped and counted.
  ``tg_target.az`` is ``Target.AvailabilityZone`` when given (``all`` = outside the VPC), else the
  AZ of the subnet of the ENI holding the IP (or of the instance) as the target group's own account names it
  (zone names differ between accounts), else ``""``; a ``""`` target whose subnet is known gets a
  ``tg_target_subnet`` row (its zone is then matched by ID). Port 0 when absent.
* LB ENIs whose ARN is not in the snapshot keep the ``app/NAME/ID`` part of the description as the lb id.
* ``names`` (display names; the resolver also looks names up there, so they avoid clashing with Name
  tags): load balancer and target group ARN -> name; listener ARN -> ``LB PROTOCOL:PORT``; rule ARN ->
  ``LB PROTOCOL:PORT rule N`` / ``LB PROTOCOL:PORT default rule``.

Malformed input raises :class:`reasoner.errors.FactsError` with the file and JSON path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from reasoner.facts.fields import (flag as _flag, integer as _int, ipv4 as _ipv4, listed as _listed,  # noqa: F401
                                   opt_int as _opt_int, strings as _strings, text as _text,
                                   wrapped as _wrapped)

if TYPE_CHECKING:  # annotations only
    from reasoner.facts.context import Acc as _Acc, Ctx as _Ctx

#: The relations produced here, in a fixed order (the first three predate this module).
RELATIONS: tuple[str, ...] = (
    "load_balancer", "lb_subnet", "lb_sg", "lb_state", "lb_dns", "lb_eni", "lb_node_ip", "lb_public_ip",
    "lb_attribute", "listener", "listener_rule", "rule_condition", "rule_source_ip",
    "listener_action", "action_forward", "action_redirect", "action_fixed_response", "elb_transport",
    "target_group", "tg_lb", "tg_health_check", "tg_attribute", "tg_target", "target_health", "tg_target_ipv6",
    "tg_targets_listed", "lb_listeners_listed", "listener_rules_listed",
    "lb_ip_address_type", "tg_attributes_listed", "tg_target_subnet",
)

#: Listener rule priority standing for ``"default"``: above the API's maximum (50000).
DEFAULT_RULE_PRIORITY = 50001

#: ELB protocol -> IANA protocol numbers (as the VPC relations spell them).
TRANSPORT: dict[str, tuple[str, ...]] = {
    "HTTP": ("6",), "HTTPS": ("6",), "TCP": ("6",), "TLS": ("6",),
    "UDP": ("17",), "TCP_UDP": ("6", "17"), "GENEVE": ("17",),
    # "Protocols: TCP, TLS, UDP, TCP_UDP, QUIC, TCP_QUIC" (network/load-balancer-listeners.html): QUIC runs over UDP,
    # TCP_QUIC over both. A protocol not listed here gets no elb_transport row: rules/load_balancers.dl reads it as
    # unknown (elb_protocol_unknown), never as "carries nothing".
    "QUIC": ("17",), "TCP_QUIC": ("6", "17"),
}

_LB_ENI_DESCRIPTION = re.compile(r"^ELB ((?:app|net|gwy)/[^/\s]+/[0-9A-Za-z]+)$")

_CONDITION_CONFIGS = {
    "host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig",
    "http-request-method": "HttpRequestMethodConfig", "source-ip": "SourceIpConfig",
    "http-header": "HttpHeaderConfig", "query-string": "QueryStringConfig",
}

Handler = Callable[["_Ctx", list[tuple[str, Any]]], None]


# -- per-snapshot state (values only known once every file is read) ---------------------------


@dataclass
class _Target:
    c: "_Ctx"
    path: str
    tg: str
    target: str
    ip: int | None  # None: resolve (instance); 0: not an IP endpoint
    port: int
    az: str


@dataclass
class _State:
    lb_suffix: dict[str, str] = field(default_factory=dict)  # "app/NAME/ID" -> LB ARN
    lb_enis: list[tuple[str, str, str, list[int]]] = field(default_factory=list)  # eni, suffix, subnet, ips
    instance_ip: dict[str, int] = field(default_factory=dict)  # from Reservations
    eni0_ip: dict[str, int] = field(default_factory=dict)  # instance -> IP of its DeviceIndex-0 ENI
    targets: list[_Target] = field(default_factory=list)
    listeners: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # listener -> (lb, protocol, port)
    rules: list[tuple[str, str, int, int]] = field(default_factory=list)  # listener, rule, priority, default


def _state(acc: "_Acc") -> _State:
    st = getattr(acc, "elbv2_state", None)
    if st is None:
        st = _State()
        acc.elbv2_state = st  # type: ignore[attr-defined]
    return st

# -- value helpers (reasoner/facts/fields.py) ---------------------------------------------------


def _protocol(c: "_Ctx", obj: Any, key: str, path: str, required: bool = False) -> str:
    proto = (c.req_str(obj, key, path) if required else _text(c, obj, key, path)).upper()
    for number in TRANSPORT.get(proto, ()):
        c.add("elb_transport", proto, number)
    return proto

def _attributes(c: "_Ctx", items: list[tuple[str, Any]], parent_key: str, rel: str) -> None:
    for owner, ap, a in _wrapped(c, items, parent_key, "Attributes"):
        c.add(rel, owner, c.req_str(a, "Key", ap), _text(c, a, "Value", ap))


# -- load balancers ---------------------------------------------------------------------------


def load_balancers(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    st = _state(c.acc)
    for p, lb in items:
        arn = c.req_str(lb, "LoadBalancerArn", p)
        name = _text(c, lb, "LoadBalancerName", p)
        if name:
            c.acc.names[arn] = name
        c.add("load_balancer", arn, name, _text(c, lb, "Type", p), _text(c, lb, "Scheme", p), c.req_str(lb, "VpcId", p))
        c.add("lb_ip_address_type", arn, str(c.opt(lb, "IpAddressType", p, "ipv4")))
        if ":loadbalancer/" in arn:
            st.lb_suffix[arn.split(":loadbalancer/", 1)[1]] = arn
        state = c.opt(lb, "State", p)
        if state is not None:
            c.add("lb_state", arn, _text(c, state, "Code", f"{p}.State"))
        dns = _text(c, lb, "DNSName", p)
        if dns:
            c.add("lb_dns", arn, dns)
        for zp, z in c.req_items(lb, "AvailabilityZones", p):
            subnet = c.req_str(z, "SubnetId", zp)
            c.add("lb_subnet", arn, subnet, _text(c, z, "ZoneName", zp))
            for ap, a in c.items(z, "LoadBalancerAddresses", zp):
                private = c.opt(a, "PrivateIPv4Address", ap)
                if private is not None:
                    c.add("lb_node_ip", arn, subnet, c.ip(private, f"{ap}.PrivateIPv4Address"))
                public = c.opt(a, "IpAddress", ap)
                if public is not None:
                    c.add("lb_public_ip", arn, subnet, c.ip(public, f"{ap}.IpAddress"))
                if c.opt(a, "IPv6Address", ap) is not None:
                    c.acc.skipped_ipv6 += 1
        for _, sg in _strings(c, lb, "SecurityGroups", p, "security group must be a string id"):
            c.add("lb_sg", arn, sg)


def load_balancer_attributes(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    _attributes(c, items, "LoadBalancerArn", "lb_attribute")


def _actions(c: "_Ctx", owner: str, actions: list[tuple[str, Any]]) -> None:
    for i, (ap, a) in enumerate(actions):
        kind = c.req_str(a, "Type", ap)
        c.add("listener_action", owner, _opt_int(c, a, "Order", ap, i + 1, "action order"), kind)
        if kind == "forward":
            config = c.opt(a, "ForwardConfig", ap, {})
            groups = c.items(config, "TargetGroups", f"{ap}.ForwardConfig")
            for gp, g in groups:
                c.add("action_forward", owner, c.req_str(g, "TargetGroupArn", gp), _opt_int(c, g, "Weight", gp, 1, "weight"))
            if not groups:
                c.add("action_forward", owner, c.req_str(a, "TargetGroupArn", ap), 1)
        elif kind == "redirect":
            rc, rp = c.req(a, "RedirectConfig", ap), f"{ap}.RedirectConfig"
            c.add("action_redirect", owner, _text(c, rc, "Protocol", rp, "#{protocol}"), _text(c, rc, "Port", rp, "#{port}"),
                  _text(c, rc, "Host", rp, "#{host}"), c.req_str(rc, "StatusCode", rp))
        elif kind == "fixed-response":
            fc, fp = c.req(a, "FixedResponseConfig", ap), f"{ap}.FixedResponseConfig"
            c.add("action_fixed_response", owner, _int(c, c.req(fc, "StatusCode", fp), f"{fp}.StatusCode", "status code"))


def load_balancer_listeners(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    """Wrapped entries ``{LoadBalancerArn, Listeners: [...]}`` (one DescribeListeners answer per load balancer, as
    `reason collect` writes them), or plain listener items (``ListenerArn``, each naming its ``LoadBalancerArn``), as
    ``aws elbv2 describe-listeners`` prints them. ``lb_listeners_listed`` records whose answers the file holds: each
    wrapped entry's load balancer (even with no listener), and in the plain form each load balancer some listener
    names (taken as its whole answer); a load balancer the file does not name at all was not asked."""
    st = _state(c.acc)

    def is_listener(w: Any) -> bool:
        return isinstance(w, dict) and "Listeners" not in w and "ListenerArn" in w

    wrapped = [(p, w) for p, w in items if not is_listener(w)]
    plain = [(p, w) for p, w in items if is_listener(w)]
    found = [(c.req_str(w, "LoadBalancerArn", p), p, w) for p, w in plain]
    found += _wrapped(c, wrapped, "LoadBalancerArn", "Listeners", "LoadBalancerArn")
    _listed(c, wrapped, "LoadBalancerArn", "lb_listeners_listed")
    for lb, _, _ in found:
        c.add("lb_listeners_listed", lb)
    for lb, lp, listener in found:
        arn = c.req_str(listener, "ListenerArn", lp)
        if ":loadbalancer/gwy/" in lb and "Port" not in listener and "Protocol" not in listener:
            # "You cannot specify a protocol or port when you create a listener for a Gateway Load Balancer"
            # (gateway/gateway-listeners.html): port 0, protocol "" (Gateway Load Balancers are not modelled)
            port, proto = 0, ""
        else:
            port = _int(c, c.req(listener, "Port", lp), f"{lp}.Port")
            proto = _protocol(c, listener, "Protocol", lp, required=True)
        c.add("listener", arn, lb, port, proto)
        st.listeners[arn] = (lb, proto, port)
        _actions(c, arn, c.req_items(listener, "DefaultActions", lp))


def _condition_values(c: "_Ctx", cond: Any, field_name: str, cp: str) -> list[tuple[str, str]]:
    """A rule condition's values, as given (``Values``) or as regular expressions (``RegexValues``, written ``~REGEX``):
    "When using host-header, http-header and path-pattern conditions you can use value matching or regex matching"
    (APIReference/API_HostHeaderConditionConfig.html, API_PathPatternConditionConfig.html,
    API_HttpHeaderConditionConfig.html: ``RegexValues``). Read in the field's config and at the condition's top level."""
    key = _CONDITION_CONFIGS.get(field_name)
    config = c.opt(cond, key, cp) if key else None
    top = _strings(c, cond, "Values", cp) + [(p, f"~{v}") for p, v in _strings(c, cond, "RegexValues", cp)]
    if config is None:
        return top
    kp = f"{cp}.{key}"
    if field_name == "http-header":
        header = c.req_str(config, "HttpHeaderName", kp)
        given = _strings(c, config, "Values", kp) + [(p, f"~{v}") for p, v in _strings(c, config, "RegexValues", kp)]
        return top + [(p, f"{header}:{v}") for p, v in given]
    if field_name == "query-string":
        out = []
        for qp, q in c.items(config, "Values", kp):
            k, v = _text(c, q, "Key", qp), c.req_str(q, "Value", qp)
            out.append((qp, f"{k}={v}" if k else v))
        return top + out
    return top + _strings(c, config, "Values", kp) + [(p, f"~{v}") for p, v in _strings(c, config, "RegexValues", kp)]


def load_balancer_listener_rules(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    st = _state(c.acc)
    found = _wrapped(c, items, "ListenerArn", "Rules")
    _listed(c, items, "ListenerArn", "listener_rules_listed")
    for listener, rp, r in found:
        rule = c.req_str(r, "RuleArn", rp)
        text = _text(c, r, "Priority", rp)
        is_default = _flag(c, r, "IsDefault", rp, text == "default")
        if text == "default" or (not text and is_default):
            priority = DEFAULT_RULE_PRIORITY
        else:
            priority = _int(c, c.req(r, "Priority", rp), f"{rp}.Priority", "priority")
        c.add("listener_rule", listener, rule, priority, is_default)
        st.rules.append((listener, rule, priority, is_default))
        for cp, cond in c.req_items(r, "Conditions", rp):
            field_name = c.req_str(cond, "Field", cp)
            values = _condition_values(c, cond, field_name, cp)
            if not values and field_name != "source-ip":
                # a condition whose values this importer does not read (a shape it does not know) still conditions the
                # rule: kept with the value "" so the rule is never read as unconditional (rule_other_condition)
                c.add("rule_condition", rule, field_name, "")
            for vp, value in values:
                c.add("rule_condition", rule, field_name, value)
                if field_name == "source-ip":  # either family, on the one line of addresses
                    lo, hi, _ = c.cidr(value, vp, "ipv6" if ":" in value else "ipv4")
                    c.add("rule_source_ip", rule, lo, hi)
        _actions(c, rule, c.req_items(r, "Actions", rp))


# -- target groups ----------------------------------------------------------------------------


def target_groups(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    for p, g in items:
        tg = c.req_str(g, "TargetGroupArn", p)
        name = _text(c, g, "TargetGroupName", p)
        if name:
            c.acc.names[tg] = name
        c.add("target_group", tg, name, _protocol(c, g, "Protocol", p), _opt_int(c, g, "Port", p),
              _text(c, g, "VpcId", p), _text(c, g, "TargetType", p, "instance"))
        for _, lb in _strings(c, g, "LoadBalancerArns", p):
            c.add("tg_lb", tg, lb)
        hc_port = _text(c, g, "HealthCheckPort", p, "traffic-port")
        if hc_port == "traffic-port":
            port, traffic = 0, 1
        else:
            port, traffic = _int(c, hc_port, f"{p}.HealthCheckPort"), 0
        c.add("tg_health_check", tg, _protocol(c, g, "HealthCheckProtocol", p), port, traffic,
              _flag(c, g, "HealthCheckEnabled", p, True), _text(c, g, "HealthCheckPath", p))


def target_group_attributes(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    _attributes(c, items, "TargetGroupArn", "tg_attribute")  # (checks every entry's TargetGroupArn)
    for p, w in items:  # each entry is one target group's answer, even with no attribute: its attributes are known
        c.add("tg_attributes_listed", c.req_str(w, "TargetGroupArn", p))


def load_balancer_target_health(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    st = _state(c.acc)
    described = _wrapped(c, items, "TargetGroupArn", "TargetHealthDescriptions")  # checks every entry's TargetGroupArn
    for wp, w in items:  # each entry is one target group's answer, even with no target: its targets are known
        c.add("tg_targets_listed", c.req_str(w, "TargetGroupArn", wp))
    for tg, dp, d in described:
        target, tp = c.req(d, "Target", dp), f"{dp}.Target"
        tid = c.req_str(target, "Id", tp)
        port = _opt_int(c, target, "Port", tp)
        health, hp = c.opt(d, "TargetHealth", dp, {}), f"{dp}.TargetHealth"
        hc = _text(c, d, "HealthCheckPort", dp)
        c.add("target_health", tg, tid, port, _text(c, health, "State", hp), _text(c, health, "Reason", hp),
              _text(c, health, "Description", hp), int(hc) if hc.isdigit() else 0)
        ip: int | None
        if tid.startswith("i-"):
            ip = None
        elif tid.startswith("arn:"):
            ip = 0  # lambda function or ALB: not an IP endpoint
        elif (v4 := _ipv4(tid)) is not None:
            ip = v4
        elif ":" in tid:  # an IPv6 target: kept as unmodelled, so answers through its group say so
            c.acc.skipped_ipv6 += 1
            c.add("tg_target_ipv6", tg, tid)
            continue
        else:
            raise c.err("facts.bad_value", f"target id {tid!r} is neither an instance id, an IPv4 address nor an ARN",
                        f"{tp}.Id")
        st.targets.append(_Target(c, tp, tg, tid, ip, port, _text(c, target, "AvailabilityZone", tp)))

# -- additions to the importer's own handlers -------------------------------------------------


def lb_enis(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    """``NetworkInterfaces``: remember load balancer ENIs and instance primary ENIs (for :func:`finish`)."""
    st = _state(c.acc)
    for p, e in items:
        eni = c.req_str(e, "NetworkInterfaceId", p)
        primary = c.opt(e, "PrivateIpAddress", p)
        attachment, ap = c.opt(e, "Attachment", p, {}), f"{p}.Attachment"
        instance, index = c.opt(attachment, "InstanceId", ap), c.opt(attachment, "DeviceIndex", ap)
        if isinstance(instance, str) and index == 0 and primary is not None:
            st.eni0_ip[instance] = c.ip(primary, f"{p}.PrivateIpAddress")
        match = _LB_ENI_DESCRIPTION.match(_text(c, e, "Description", p).strip())
        if not match:
            continue
        if match.group(1).startswith("app/") and c.opt(e, "Groups", p) == []:
            # An Application Load Balancer always has security groups (application/load-balancer-update-security-
            # groups.html) and its nodes' interfaces carry them; only a Network Load Balancer's may carry none, and
            # then nothing filters there (rules/load_balancers.dl lb_node_without_sg).  Read as given, an ALB's
            # node would pass every packet: the answer was cut or edited.
            raise c.err("facts.bad_value", "the network interface of an Application Load Balancer lists no security "
                        "group (an ALB always has some, and its nodes carry them)", f"{p}.Groups",
                        hint="collect the answer again (DescribeNetworkInterfaces lists each interface's groups)")
        ips = [c.ip(primary, f"{p}.PrivateIpAddress")] if primary is not None else []
        for ip_p, ip in c.items(e, "PrivateIpAddresses", p):
            ips.append(c.ip(c.req(ip, "PrivateIpAddress", ip_p), f"{ip_p}.PrivateIpAddress"))
        st.lb_enis.append((eni, match.group(1), c.req_str(e, "SubnetId", p), sorted(set(ips))))


def instance_ips(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    """``Reservations``: remember each instance's primary private IPv4 (for :func:`finish`)."""
    st = _state(c.acc)
    for p, res in items:
        for ip_, inst in c.items(res, "Instances", p):
            iid = c.req_str(inst, "InstanceId", ip_)
            primary = c.opt(inst, "PrivateIpAddress", ip_)
            if primary is not None:
                st.instance_ip[iid] = c.ip(primary, f"{ip_}.PrivateIpAddress")


def chain(*handlers: Handler) -> Handler:
    """One handler running ``handlers`` in order on the same items."""
    def run(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
        for handler in handlers:
            handler(c, items)
    run.__name__ = "+".join(h.__name__ for h in handlers)
    return run


def tags(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    """``LoadBalancerTags`` / ``TargetGroupTags`` (`reason collect`: ``[{ResourceArn, TagDescriptions: [...]}]``) and
    ``TagDescriptions`` (``aws elbv2 describe-tags``: ``[{ResourceArn, Tags: [{Key, Value}]}]``) -> ``tag``.  The
    display name stays the resource's own name (``LoadBalancerName``, ``TargetGroupName``), not a Name tag."""
    for p, item in items:
        inner = c.items(item, "TagDescriptions", p) if isinstance(item, dict) and "TagDescriptions" in item else [(p, item)]
        for dp, d in inner:
            arn = c.req_str(d, "ResourceArn", dp)
            for tp, t in c.items(d, "Tags", dp):
                c.add("tag", arn, *c.tag(t, tp))


#: Top-level key -> handler, for the importer's dispatch table.
HANDLERS: dict[str, Handler] = {
    "LoadBalancers": load_balancers,
    "LoadBalancerAttributes": load_balancer_attributes,
    "LoadBalancerListeners": load_balancer_listeners,
    "LoadBalancerListenerRules": load_balancer_listener_rules,
    "TargetGroups": target_groups,
    "TargetGroupAttributes": target_group_attributes,
    "LoadBalancerTargetHealth": load_balancer_target_health,
    "LoadBalancerTags": tags,
    "TargetGroupTags": tags,
    "TagDescriptions": tags,
}


# -- after every file -------------------------------------------------------------------------


def finish(acc: "_Acc") -> None:
    """Resolve what needs other files: LB ENIs -> LB ARNs, target IPs and AZs, listener/rule names."""
    st = getattr(acc, "elbv2_state", None)
    if st is None:
        return
    rels = acc.rels
    for eni, suffix, subnet, ips in st.lb_enis:
        lb = st.lb_suffix.get(suffix, suffix)
        rels["lb_eni"].add((lb, eni))
        for ip in ips:
            rels["lb_node_ip"].add((lb, subnet, ip))

    eni_subnet = {row[0]: row[1] for row in sorted(rels["eni"])}
    ip_eni: dict[int, str] = {}
    for eni, ip in sorted(rels["eni_ip"]):
        ip_eni.setdefault(ip, eni)
    instance_subnet = {row[0]: row[1] for row in sorted(rels["instance"])}
    for t in st.targets:
        ip = t.ip
        if ip is None:
            ip = st.instance_ip.get(t.target) or st.eni0_ip.get(t.target) or 0
        az = t.az
        if not az:
            # The subnet's zone as the target group's own account names it: names are per account, and a shared
            # VPC's subnet is described by each account with its own (vpc-sharing-share-subnet-working-with.html:
            # "us-east-1a for your AWS account might not have the same location as us-east-1a for another AWS
            # account"). Only another account's name known: left "", the rules match the zone by its ID
            # (tg_target_subnet; rules/load_balancers.dl target_zone_by_id), or leave it undecided.
            subnet = eni_subnet.get(ip_eni.get(ip, ""), "") if ip else instance_subnet.get(t.target, "")
            az = acc.subnet_zones.get((subnet, t.c.account), "") if subnet else ""
            if subnet and not az:
                rels["tg_target_subnet"].add((t.tg, t.target, subnet))
        rels["tg_target"].add((t.tg, t.target, ip, t.port, az))

    for listener, (lb, proto, port) in st.listeners.items():
        acc.names.setdefault(listener, f"{acc.names.get(lb) or lb.split(':loadbalancer/')[-1]} {proto}:{port}")
    for listener, rule, priority, is_default in st.rules:
        head = acc.names.get(listener, "listener")
        acc.names.setdefault(rule, f"{head} default rule" if is_default else f"{head} rule {priority}")
