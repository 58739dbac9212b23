"""Elastic Load Balancing v2 (ALB, NLB, GWLB): describe-* JSON -> base relations (ECS: :mod:`reasoner.facts.ecs`).

Registered in :mod:`reasoner.facts.importer` (its dispatch table of top-level keys); the relations
are declared, one "Holds if ..." line each, in ``rules/01_load_balancer_snapshot.dl``.  Listeners and their rules
are read in :mod:`reasoner.facts.elb_listeners`; the state shared by both, resolved by :func:`finish` once every
file is read, is :mod:`reasoner.facts.elb_state`.

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
from typing import TYPE_CHECKING, Any

from reasoner.facts.elb_listeners import (DEFAULT_RULE_PRIORITY, load_balancer_listener_rules,  # noqa: F401
                                          load_balancer_listeners)
from reasoner.facts.elb_state import Handler, Target as _Target, attributes as _attributes
from reasoner.facts.elb_state import protocol as _protocol, state as _state
from reasoner.facts.fields import (flag as _flag, integer as _int, ipv4 as _ipv4, opt_int as _opt_int,  # noqa: F401
                                   strings as _strings, text as _text, wrapped as _wrapped)

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


_LB_ENI_DESCRIPTION = re.compile(r"^ELB ((?:app|net|gwy)/[^/\s]+/[0-9A-Za-z]+)$")


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
