"""EC2 describe-* answers about network interfaces -> base relations (``rules/00_snapshot.dl``): the interfaces
(``DescribeNetworkInterfaces``: subnet, VPC, addresses and delegated prefixes, public addresses, security groups,
Status and attachment, InterfaceType, owner), the interfaces instances list (``DescribeInstances``, read after every
file: :func:`reasoner.facts.importer.import_aws_configs`) and Elastic IPs (``DescribeAddresses``).  The other EC2
answers: :mod:`reasoner.facts.ec2`."""

from __future__ import annotations

import ipaddress
from typing import Any

from reasoner.facts.context import Ctx

#: The shortest IPv4 prefix delegated to an ENI that the import reads address by address (AWS delegates /28s).
MIN_IPV4_PREFIX = 24


def _strict_network(text: Any) -> bool:
    """Whether ``text`` is a network with no bit set beyond its prefix."""
    try:
        ipaddress.ip_network(str(text), strict=True)
    except ValueError:
        return False
    return True


def eni(c: Ctx, p: str, e: Any, instance: str | None = None) -> None:
    eni = c.req_str(e, "NetworkInterfaceId", p)
    c.acc.enis.add(eni)
    c.name(e, eni, p)
    sdc = c.opt(e, "SourceDestCheck", p, True)
    c.add("eni", eni, c.req_str(e, "SubnetId", p), c.req_str(e, "VpcId", p), 0 if sdc is False else 1)
    primary = c.opt(e, "PrivateIpAddress", p)
    if primary is not None:
        c.add("eni_ip", eni, c.ip(primary, f"{p}.PrivateIpAddress"))
    for ip_p, ip in c.items(e, "PrivateIpAddresses", p):
        c.add("eni_ip", eni, c.ip(c.req(ip, "PrivateIpAddress", ip_p), f"{ip_p}.PrivateIpAddress"))
    assoc = c.opt(e, "Association", p, {})
    if primary is not None and c.opt(assoc, "PublicIp", f"{p}.Association") is not None:
        c.add("eni_public_ip", eni, c.ip(primary, f"{p}.PrivateIpAddress"), c.ip(assoc["PublicIp"], f"{p}.Association.PublicIp"))
    for ip_p, ip in c.items(e, "PrivateIpAddresses", p):
        a = c.opt(ip, "Association", ip_p, {})
        if c.opt(a, "PublicIp", f"{ip_p}.Association") is not None:
            c.add("eni_public_ip", eni, c.ip(c.req(ip, "PrivateIpAddress", ip_p), f"{ip_p}.PrivateIpAddress"),
                  c.ip(a["PublicIp"], f"{ip_p}.Association.PublicIp"))
    for ap, a in c.items(e, "Ipv6Addresses", p):  # its own public address when global (rules/reachability.dl)
        c.add("eni_ip", eni, c.ip(c.req(a, "Ipv6Address", ap), f"{ap}.Ipv6Address", "ipv6"))
    for xp, x in c.items(e, "Ipv4Prefixes", p):
        # a delegated prefix ("Assign prefixes to network interfaces", ec2-prefix-eni.html: an IPv4 prefix is a /28,
        # e.g. pod addresses under EKS prefix delegation): each of its addresses is the ENI's, as a secondary
        # address is; it sends and receives from all of them
        lo, hi, plen = c.cidr(c.req(x, "Ipv4Prefix", xp), f"{xp}.Ipv4Prefix")
        if plen < MIN_IPV4_PREFIX:
            raise c.err("facts.bad_value", f"an IPv4 prefix delegated to a network interface is a /28; /{plen} would give it "
                        f"{hi - lo + 1} addresses (at most a /{MIN_IPV4_PREFIX} is read)", f"{xp}.Ipv4Prefix")
        for ip in range(lo, hi + 1):
            c.add("eni_ip", eni, ip)
    for xp, x in c.items(e, "Ipv6Prefixes", p):  # a delegated /80: too many to list (reasoner/explain/prefix_addresses.py)
        text = c.req(x, "Ipv6Prefix", xp)
        lo, hi, plen = c.cidr(text, f"{xp}.Ipv6Prefix", "ipv6")
        if plen != 80 or not _strict_network(text):
            # "IPv6 prefixes ... /80" (ec2-prefix-eni.html): another length, or bits beyond it, is not AWS's answer, and
            # read as given it would give the interface addresses it does not have
            raise c.err("facts.bad_value", f"an IPv6 prefix delegated to a network interface is a /80 network; {text!r} is "
                        "not one", f"{xp}.Ipv6Prefix")
        c.add("eni_ipv6_prefix", eni, lo, hi)
    for gp, g in c.req_items(e, "Groups", p):
        c.add("eni_sg", eni, c.req_str(g, "GroupId", gp))
    # DenyAllIgwTraffic: "If the value is true, inbound traffic from the internet is dropped" (NetworkInterface,
    # EC2 API reference); rules/internet_gateways.dl
    if c.opt(e, "DenyAllIgwTraffic", p, False) is True:
        c.add("eni_deny_igw", eni)
    # Status "available": the interface is attached to nothing ("in-use" when attached; NetworkInterface Status); the
    # internet gateway delivers only to an attached interface (IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS)
    attachment = c.opt(e, "Attachment", p, {})
    status = c.given_str(e, "Status", p)
    attached = c.given_str(attachment, "Status", f"{p}.Attachment")
    if status == "available" and attached in (None, "detached"):
        if instance is None:
            c.add("eni_detached", eni)
    elif status not in (None, "in-use") or attached not in (None, "attached"):
        # anything else leaves open whether a host is behind it: Status attaching, detaching or associated
        # (API_NetworkInterface: available | associated | attaching | in-use | detaching), its Attachment's Status
        # attaching or detaching (API_NetworkInterfaceAttachment: attaching | attached | detaching | detached), the two
        # contradicting each other (in-use with the attachment detached), or a value the API does not name; it was read
        # as attached (rules/route_explanations.dl eni_unsettled_as says what is undecided)
        c.add("eni_unsettled", eni, status or "", attached or "")
    elif status is None and not attachment and instance is None:
        # neither Status nor Attachment (an Attachment given without its Status names what it is attached to: read as
        # attached, as before): the API always gives Status ("Status - The status of the network interface.
        # Valid Values: available | associated | attaching | in-use | detaching", API_NetworkInterface), so this is a
        # hand-cut answer that does not say whether a host is behind the interface; it was read as attached (a
        # certain REACHABLE end). An interface listed under an instance (DescribeInstances) is attached: instance
        # given. rules/route_explanations.dl eni_unsettled_as keys it eni_status_missing
        c.add("eni_unsettled", eni, "", "")
    # InterfaceType (NetworkInterface, EC2 API reference): an endpoint's network interface says so itself, which
    # rules/vpc_endpoints.dl reads when no endpoint of the snapshot lists it; the default "interface" is not kept
    kind = c.opt_str(e, "InterfaceType", p, "interface")
    if kind != "interface":
        c.add("eni_interface_type", eni, kind)
    owner = instance or c.opt(attachment, "InstanceId", f"{p}.Attachment")
    if owner:
        c.add("eni_attachment", eni, str(owner))


def network_interfaces(c: Ctx, items: list[tuple[str, Any]]) -> None:
    for p, e in items:
        eni(c, p, e)


def reservations(c: Ctx, items: list[tuple[str, Any]]) -> None:
    for p, res in items:
        for ip_, inst in c.items(res, "Instances", p):
            iid = c.req_str(inst, "InstanceId", ip_)
            c.name(inst, iid, ip_)
            if c.opt(inst, "SubnetId", ip_) and c.opt(inst, "VpcId", ip_):
                c.add("instance", iid, str(inst["SubnetId"]), str(inst["VpcId"]))
            for ep, e in c.items(inst, "NetworkInterfaces", ip_):
                if not isinstance(e, dict):
                    raise c.err("facts.bad_value", "expected an object", ep)
                c.acc.instance_enis.append((c, ep, e, iid))


def addresses(c: Ctx, items: list[tuple[str, Any]]) -> None:
    """Elastic IPs (``describe-addresses``): an associated EIP is a public IP of its ENI."""
    for p, a in items:
        eni, private, public = (c.opt(a, k, p) for k in ("NetworkInterfaceId", "PrivateIpAddress", "PublicIp"))
        if eni and private and public:
            c.add("eni_public_ip", str(eni), c.ip(private, f"{p}.PrivateIpAddress"), c.ip(public, f"{p}.PublicIp"))
