"""EC2 describe-* answers -> base relations (``rules/00_snapshot.dl``): VPCs, subnets, security groups, network
ACLs, internet and NAT gateways, peering connections, prefix lists, VPC endpoints (network interfaces, instances and
Elastic IPs: :mod:`reasoner.facts.network_interfaces`; route tables: :mod:`reasoner.facts.route_tables`). See :mod:`reasoner.facts.importer` for the
key -> relation table."""

from __future__ import annotations

import ipaddress

from typing import Any

from reasoner.addresses import FAMILIES, family as ip_family
from reasoner.facts.context import Ctx
from reasoner.facts.fields import strings
from reasoner.protocols import ICMP

#: CIDR block states in which a block carries no traffic (CidrBlockState / Ipv6CidrBlockState, EC2 API).
_GONE = ("disassociated", "disassociating", "failed", "failing")


def vpcs(c: Ctx, items: list[tuple[str, Any]]) -> None:
    for p, v in items:
        vpc = c.req_str(v, "VpcId", p)
        c.name(v, vpc, p)
        assoc = c.items(v, "CidrBlockAssociationSet", p)
        blocks = []
        for ap, a in assoc:
            state = c.opt(c.opt(a, "CidrBlockState", ap, {}), "State", ap, "associated")
            if state in _GONE:
                continue
            blocks.append((f"{ap}.CidrBlock", c.req(a, "CidrBlock", ap)))
        if not assoc:
            blocks.append((f"{p}.CidrBlock", c.req(v, "CidrBlock", p)))
        for bp, block in blocks:
            lo, hi, _ = c.cidr(block, bp)
            c.add("vpc", vpc, lo, hi)
        for lo, hi in _ipv6_blocks(c, v, p):
            c.add("vpc", vpc, lo, hi)
        _block_public_access(c, v, vpc, p)


#: VPC Block Public Access modes (API_BlockPublicAccessStates InternetGatewayBlockMode: off | block-bidirectional |
#: block-ingress; older SDKs spell them bidirectional-access-allowed | bidirectional-access-blocked |
#: ingress-access-blocked) -> the mode the rules read; off is no row.
_BPA_MODES = {"off": None, "bidirectional-access-allowed": None, "block-bidirectional": "bidirectional",
              "bidirectional-access-blocked": "bidirectional", "block-ingress": "ingress",
              "ingress-access-blocked": "ingress"}


def _block_public_access(c: Ctx, obj: Any, rid: str, p: str) -> None:
    """A VPC's or subnet's ``BlockPublicAccessStates`` -> ``bpa(rid, mode)`` (rules/internet_gateways.dl).  Absent:
    off, as for every VPC before the feature (answers of older CLIs lack the field).  A mode not listed above is read
    as blocking both ways, which leaves the internet paths undecided, never open."""
    states = c.opt(obj, "BlockPublicAccessStates", p, {})
    mode = c.opt(states, "InternetGatewayBlockMode", f"{p}.BlockPublicAccessStates", "off")
    if not isinstance(mode, str):
        raise c.err("facts.bad_value", f"InternetGatewayBlockMode must be a string, not {mode!r}",
                    f"{p}.BlockPublicAccessStates.InternetGatewayBlockMode")
    read = _BPA_MODES.get(mode.strip().lower(), "bidirectional")
    if read is not None:
        c.add("bpa", rid, read)


def _ipv6_blocks(c: Ctx, obj: Any, p: str) -> list[tuple[int, int]]:
    """The IPv6 CIDR blocks of a VPC or subnet (``Ipv6CidrBlockAssociationSet``), as for IPv4 blocks: a block
    that is disassociated, being disassociated or failed carries no traffic; any other is kept."""
    out = []
    for ap, a in c.items(obj, "Ipv6CidrBlockAssociationSet", p):
        state = c.opt(c.opt(a, "Ipv6CidrBlockState", ap, {}), "State", ap, "associated")
        if state not in _GONE:
            lo, hi, _ = c.cidr(c.req(a, "Ipv6CidrBlock", ap), f"{ap}.Ipv6CidrBlock", "ipv6")
            out.append((lo, hi))
            # "Private IP addresses are not and cannot be advertised on the internet from AWS" (Ipv6AddressAttribute;
            # IpSource none: private space): API_VpcIpv6CidrBlockAssociation.html, API_SubnetIpv6CidrBlockAssociation.html
            if c.opt(a, "Ipv6AddressAttribute", ap) == "private" or c.opt(a, "IpSource", ap) == "none":
                c.add("ipv6_private_block", lo, hi)
    return out


def subnets(c: Ctx, items: list[tuple[str, Any]]) -> None:
    for p, s in items:
        sid = c.req_str(s, "SubnetId", p)
        c.name(s, sid, p)
        blocks = _ipv6_blocks(c, s, p)
        if c.opt(s, "CidrBlock", p) is not None or not blocks:  # an IPv6-only subnet has no IPv4 block
            blocks.insert(0, c.cidr(c.req(s, "CidrBlock", p), f"{p}.CidrBlock")[:2])
        zone = str(c.opt(s, "AvailabilityZone", p, ""))
        for lo, hi in blocks:
            c.add("subnet", sid, c.req_str(s, "VpcId", p), lo, hi, zone)
        c.acc.subnet_zones[(sid, c.account)] = zone
        # Zone names are per account: "the us-east-1a for your AWS account might not be the same physical location as
        # the us-east-1a for another AWS account" (global-infrastructure/latest/regions/az-ids.html), and a subnet shared
        # with another account is in its zone of the same AZ ID, by that account's name. The name is the describing
        # account's (its aws_configs/<account>/ folder), else, in a layout without one, the subnet's owner's (OwnerId);
        # neither known: no row, and a name compared with another account's proves nothing (rules/transit_gateways.dl)
        namer = c.account or c.given_str(s, "OwnerId", p)
        if zone and namer:
            c.add("subnet_zone_named_by", sid, zone, namer)
        if c.opt(s, "AvailabilityZoneId", p) is not None:
            c.add("subnet_az_id", sid, c.req_str(s, "AvailabilityZoneId", p))
        _block_public_access(c, s, sid, p)


def _sg_rules(c: Ctx, sg: str, direction: str, perms: list[tuple[str, Any]]) -> None:
    for i, (pp, perm) in enumerate(perms):
        proto = c.proto(c.req(perm, "IpProtocol", pp), f"{pp}.IpProtocol")
        lo, hi = c.ports(proto, c.opt(perm, "FromPort", pp), c.opt(perm, "ToPort", pp), pp)
        for j, (rp, r) in enumerate(c.items(perm, "IpRanges", pp)):
            clo, chi, _ = c.cidr(c.req(r, "CidrIp", rp), f"{rp}.CidrIp")
            c.add(f"sg_{direction}_cidr", sg, proto, lo, hi, clo, chi, f"{sg}:{direction}:{i}:{j}")
        for j, (rp, r) in enumerate(c.items(perm, "Ipv6Ranges", pp)):
            clo, chi, _ = c.cidr(c.req(r, "CidrIpv6", rp), f"{rp}.CidrIpv6", "ipv6")
            c.add(f"sg_{direction}_cidr", sg, proto, lo, hi, clo, chi, f"{sg}:{direction}:{i}:v6{j}")
        for j, (rp, r) in enumerate(c.items(perm, "UserIdGroupPairs", pp)):
            peer = c.req_str(r, "GroupId", rp)
            c.add(f"sg_{direction}_sg", sg, proto, lo, hi, peer, f"{sg}:{direction}:{i}:sg{j}")
        for j, (rp, r) in enumerate(c.items(perm, "PrefixListIds", pp)):
            pl = c.req_str(r, "PrefixListId", rp)
            c.add(f"sg_{direction}_pl", sg, proto, lo, hi, pl, f"{sg}:{direction}:{i}:pl{j}")


def security_groups(c: Ctx, items: list[tuple[str, Any]]) -> None:
    for p, g in items:
        sg = c.req_str(g, "GroupId", p)
        c.name(g, sg, p)
        c.add("sg", sg, str(c.opt(g, "VpcId", p, "")), str(c.opt(g, "GroupName", p, "")))
        _sg_rules(c, sg, "ingress", c.req_items(g, "IpPermissions", p))
        _sg_rules(c, sg, "egress", c.req_items(g, "IpPermissionsEgress", p))


def network_acls(c: Ctx, items: list[tuple[str, Any]]) -> None:
    for p, a in items:
        acl = c.req_str(a, "NetworkAclId", p)
        c.name(a, acl, p)
        c.add("nacl", acl, c.req_str(a, "VpcId", p), 1 if c.opt(a, "IsDefault", p, False) is True else 0)
        for sp, s in c.req_items(a, "Associations", p):
            subnet = c.opt(s, "SubnetId", sp)
            if subnet:
                c.only_one("network ACL", str(subnet), acl, f"{sp}.SubnetId",
                           "\"Each subnet is associated with one network ACL\", network-acl-associations.html")
                c.add("subnet_nacl", str(subnet), acl)
        has_star = {(e, f): False for e in (0, 1) for f in FAMILIES}
        numbered: dict[tuple[int, int], str] = {}  # (egress, rule number) -> the entry's path
        for ep, e in c.req_items(a, "Entries", p):
            direction = c.req(e, "Egress", ep)
            if type(direction) is not bool:  # (a string "true" or a 1 is not read as either direction)
                raise c.err("facts.bad_value", f"Egress must be true (outbound) or false (inbound), not {direction!r}",
                            f"{ep}.Egress")
            egress = 1 if direction else 0
            number = c.req(e, "RuleNumber", ep)
            if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 32768:
                # (1-32766 for a rule one creates, CreateNetworkAclEntry; 32767 and 32768: the rules "*" AWS lists)
                raise c.err("facts.bad_value", f"RuleNumber must be an integer from 1 to 32768, not {number!r}",
                            f"{ep}.RuleNumber")
            # One entry per number and direction: entries "are evaluated in order, starting with the lowest numbered
            # rule" (nacl-rules.html) and CreateNetworkAclEntry refuses a number in use (NetworkAclEntryAlreadyExists).
            # Two would both read as deciding, the allow passing what the deny stops.  (32767 and up: rule "*", one
            # per address family, as the API lists it.)
            if number < 32767 and numbered.setdefault((egress, number), ep) != ep:
                raise c.err("facts.conflict", f"two {'outbound' if egress else 'inbound'} entries numbered {number}: "
                            f"here and at {numbered[egress, number]}", f"{ep}.RuleNumber",
                            hint="a network ACL has one entry per rule number and direction; collect the answer again")
            # An entry is of one address family: CidrBlock, "The IPv4 network range to allow or deny", or Ipv6CidrBlock,
            # "The IPv6 network range" (API_CreateNetworkAclEntry; the default ACL lists a rule "*" for each family).
            # Both set: refused, not read as the IPv4 one (its IPv6 range silently dropped).
            v6 = c.one_of(e, ("CidrBlock", "Ipv6CidrBlock"), ep) == "Ipv6CidrBlock"
            if v6:
                lo, hi, _ = c.cidr(e["Ipv6CidrBlock"], f"{ep}.Ipv6CidrBlock", "ipv6")
            else:
                lo, hi, _ = c.cidr(c.req(e, "CidrBlock", ep), f"{ep}.CidrBlock")
            proto = c.proto(c.req(e, "Protocol", ep), f"{ep}.Protocol")
            if proto == "58" and not v6:
                # CreateNetworkAclEntry, Protocol: "If you specify protocol "58" (ICMPv6) and specify an IPv4 CIDR
                # block, traffic for all ICMP types and codes allowed, regardless of any that you specify" (an
                # entry's type and code were read, so a deny of one type let the others pass, an allow of one type
                # stopped them)
                plo, phi = 0, 65535
            elif proto in ICMP:  # NetworkAclEntry IcmpTypeCode: "ICMP protocol: The ICMP type and code"
                # required for ICMP, and for ICMPv6 with an IPv6 block (CreateNetworkAclEntry IcmpTypeCode:
                # "Required if specifying protocol 1 (ICMP) or protocol 58 (ICMPv6) with an IPv6 CIDR block";
                # AWS::EC2::NetworkAclEntry Icmp Code and Type: "Required if you specify 1 (ICMP)"), and
                # DescribeNetworkAcls lists both Type and Code (-1 for all): an entry without it, or without one of
                # them, is cut, never read as every message (an absent one read as -1 let an allow of one message
                # pass them all, API_CreateNetworkAclEntry.html)
                tc = c.req(e, "IcmpTypeCode", ep)
                if not isinstance(tc, dict):
                    raise c.err("facts.bad_value", "IcmpTypeCode must be an object with Type and Code", f"{ep}.IcmpTypeCode")
                for key in ("Type", "Code"):
                    if tc.get(key) is None:
                        raise c.err("facts.bad_value", f"IcmpTypeCode has no {key} (an ICMP entry gives both Type and "
                                    "Code, -1 for all); a missing one is not read as every message",
                                    f"{ep}.IcmpTypeCode.{key}", hint="collect the answer again")
                plo, phi = c.icmp_range(tc["Type"], tc["Code"], f"{ep}.IcmpTypeCode")
            else:
                pr = c.opt(e, "PortRange", ep, {})
                plo, phi = c.ports(proto, c.opt(pr, "From", ep), c.opt(pr, "To", ep), f"{ep}.PortRange")
            action = str(c.req(e, "RuleAction", ep)).lower()
            if action not in ("allow", "deny"):
                raise c.err("facts.bad_value", f"RuleAction must be allow or deny, not {action!r}", f"{ep}.RuleAction")
            if number >= 32767:  # rule "*": 32767 (IPv4), 32768 (IPv6) as the EC2 API lists them
                has_star[egress, ip_family(lo)] = True
            c.add("nacl_entry", acl, egress, number, proto, plo, phi, lo, hi, action)
        for (egress, fam), present in has_star.items():
            if not present:  # rule "*", one per family: anything unmatched is denied (default-network-acl.html)
                c.add("nacl_entry", acl, egress, 32767, "-1", 0, 65535, *FAMILIES[fam], "deny")


def _gateways(c: Ctx, items: list[tuple[str, Any]], id_key: str, rel: str, attached: tuple[str, ...],
              changing: str | None = None) -> None:
    """Gateways of one kind (``rel``) and the VPCs they are attached to (``rel``_attachment): attachments whose State
    is one of ``attached`` (or not given: the answer lists the attachment); with ``changing``, an attachment caught
    attaching or detaching is that relation's row instead (whether it carries traffic is not known); other states
    (detached) are left out."""
    for p, g in items:
        gw = c.req_str(g, id_key, p)
        c.name(g, gw, p)
        c.add(rel, gw)
        for ap, a in c.req_items(g, "Attachments", p):
            state = str(c.opt(a, "State", ap, attached[0]))
            if state in attached:
                c.add(f"{rel}_attachment", gw, c.req_str(a, "VpcId", ap))
            elif changing is not None and state in ("attaching", "detaching"):
                c.add(changing, gw, c.req_str(a, "VpcId", ap))


def internet_gateways(c: Ctx, items: list[tuple[str, Any]]) -> None:
    """An internet gateway's attachment reads State "available" once attached (AWS CLI user guide and EC2 API:
    AttachmentStatus attaching | attached | detaching | detached, the console and DescribeInternetGateways saying
    available); detached carries nothing (API_InternetGatewayAttachment.html)."""
    _gateways(c, items, "InternetGatewayId", "igw", ("available", "attached"), "igw_attachment_changing")


def egress_only_internet_gateways(c: Ctx, items: list[tuple[str, Any]]) -> None:
    """Egress-only internet gateways (IPv6 out, and the replies back in): attached ones, and those caught attaching or
    detaching (``egress_only_igw_attachment_changing``: the same attachment states as an internet gateway's,
    API_InternetGatewayAttachment.html; whether it carries traffic then is not known)."""
    _gateways(c, items, "EgressOnlyInternetGatewayId", "egress_only_igw", ("attached",), "egress_only_igw_attachment_changing")


def nat_gateways(c: Ctx, items: list[tuple[str, Any]]) -> None:
    """NAT gateways.  A regional one (``AvailabilityMode`` regional) has no ``SubnetId``: it is kept with subnet ""
    and the paths through it are refused as unmodelled (rules/nat_gateways.dl ``nat_regional``), never the whole
    snapshot (it was ``facts.missing_field``, exit 2 on every question)."""
    for p, n in items:
        nat = c.req_str(n, "NatGatewayId", p)
        c.name(n, nat, p)
        regional = c.opt(n, "SubnetId", p) is None and c.opt(n, "AvailabilityMode", p) == "regional"
        subnet, vpc = "" if regional else c.req_str(n, "SubnetId", p), c.req_str(n, "VpcId", p)
        ips = [c.ip(a["PrivateIp"], f"{ap}.PrivateIp")
               for ap, a in c.items(n, "NatGatewayAddresses", p) if c.opt(a, "PrivateIp", ap) is not None]
        for ip in ips or [0]:
            c.add("nat_gateway", nat, subnet, vpc, ip)
        # State is always given (NatGateway, EC2 API reference): absent, "not available" would be a guess; a missing
        # ConnectivityType is public (answers from before private NAT gateways lack it)
        c.add("nat_state", nat, c.req_str(n, "State", p), str(c.opt(n, "ConnectivityType", p, "public")))
        for ap, a in c.items(n, "NatGatewayAddresses", p):
            if c.opt(a, "PublicIp", ap) is not None:
                c.add("nat_public_ip", nat, c.ip(a["PublicIp"], f"{ap}.PublicIp"))


def peerings(c: Ctx, items: list[tuple[str, Any]]) -> None:
    """VPC peering connections: requester and accepter VPC, status code, and whether both are in one Region
    (security-group references across peering work only then: peering guide, vpc-peering-security-groups): 1, 0, or
    2 when a side's Region is not given."""
    for p, x in items:
        pcx = c.req_str(x, "VpcPeeringConnectionId", p)
        c.name(x, pcx, p)
        req, acc = c.opt(x, "RequesterVpcInfo", p, {}), c.opt(x, "AccepterVpcInfo", p, {})
        # the state decides whether the connection carries anything (BAD_STATE unless active): a connection without
        # one is a malformed answer (API_VpcPeeringConnection always gives Status.Code), never "not active"
        status = c.req_str(c.req(x, "Status", p), "Code", f"{p}.Status")
        regions = c.opt(req, "Region", f"{p}.RequesterVpcInfo"), c.opt(acc, "Region", f"{p}.AccepterVpcInfo")
        # 2: a Region not given (the API always gives both): not known, never "the same" (rules/missing_data.dl)
        same_region = 2 if None in regions else 1 if regions[0] == regions[1] else 0
        c.add("peering", pcx, c.req_str(req, "VpcId", f"{p}.RequesterVpcInfo"), c.req_str(acc, "VpcId", f"{p}.AccepterVpcInfo"),
              status, same_region)


def prefix_lists(c: Ctx, items: list[tuple[str, Any]]) -> None:
    for p, pl in items:
        plid = c.req_str(pl, "PrefixListId", p)
        c.name(pl, plid, p)
        # State (API_ManagedPrefixList): given by describe-managed-prefix-lists, not by describe-prefix-lists (an
        # AWS-managed list: no State).  Kept as given; rules/missing_data.dl reads which states leave the entries
        # that apply unknown (a list caught being modified applies its old version or the new one).  One list given
        # two states (two answers saved at different times) contradicts itself.
        state = c.opt_str(pl, "State", p)
        if state is not None:
            c.only_one("State", plid, state, f"{p}.State", "one list, one State (API_ManagedPrefixList)")
            c.add("prefix_list_state", plid, state)
        listed = [k for k in ("Cidrs", "Entries") if isinstance(pl.get(k), list)]
        if listed:
            # its entries are here, none perhaps: a list may have none ("Minimum number of 0 items",
            # API_CreateManagedPrefixList Entry.N), which matches nothing; without either key they are not known
            c.add("prefix_list_listed", plid)
        blocks: dict[str, dict[tuple[int, int, int], str]] = {k: {} for k in listed}
        for key, field, where in (("Cidrs", None, ""), ("Entries", "Cidr", ".Cidr")):
            for ip, item in c.items(pl, key, p):
                text = item if field is None else c.req(item, field, ip)
                block = c.cidr(text, f"{ip}{where}", "ipv6" if ":" in str(text) else "ipv4")
                blocks[key][block] = str(ipaddress.ip_network(str(text), strict=False))
        for key, found in blocks.items():
            # One list described twice (describe-prefix-lists' Cidrs and describe-managed-prefix-lists' Entries, saved
            # at different times, or both in one item): its entries must agree.  Joined, an entry since removed would
            # still match, and a security group rule naming the list would allow what it no longer does.
            c.only_one("entry set", plid, "[" + (" ".join(sorted(found.values())) or "no entry") + "]", f"{p}.{key}",
                       "one list, one set of entries: describe-prefix-lists' Cidrs and describe-managed-prefix-lists' "
                       "Entries must agree")
            for lo, hi, plen in found:
                c.add("prefix_list_cidr", plid, lo, hi)
                c.add("prefix_list_entry", plid, lo, hi, plen)


def vpc_endpoints(c: Ctx, items: list[tuple[str, Any]]) -> None:
    """VPC endpoints: type (Gateway, Interface, GatewayLoadBalancer), service, state, the route tables a gateway
    endpoint is added to, and the network interfaces of an interface (or Gateway Load Balancer) endpoint
    (``NetworkInterfaceIds``: ``vpce_eni``, which tells whose tags such an ENI carries: rules/tags.dl).  The ENIs
    themselves come with NetworkInterfaces."""
    for p, e in items:
        vpce = c.req_str(e, "VpcEndpointId", p)
        c.name(e, vpce, p)
        # State (API_VpcEndpoint: a string such as "available", "pending", "deleting"), when given, must be one: a
        # null or a number was read as its text ("none", "3"), a state no rule knows
        c.add("vpc_endpoint", vpce, c.req_str(e, "VpcId", p), str(c.opt(e, "VpcEndpointType", p, "")),
              str(c.opt(e, "ServiceName", p, "")), (c.opt_str(e, "State", p) or "").lower())
        for _, rtb in strings(c, e, "RouteTableIds", p, "route table id must be a string"):
            c.add("vpce_route_table", vpce, rtb)
        for _, eni in strings(c, e, "NetworkInterfaceIds", p, "network interface id must be a string"):
            c.add("vpce_eni", vpce, eni)
