"""Generates a realistic synthetic AWS estate (Batfish layout) of exactly N ENIs, deterministic by seed.

Shape, as real accounts are built (one region, ``us-east-1``, three AZs):

* VPCs of /16, about 2,500 ENIs each (at least two). VPC 0 is the hub (shared services: monitoring),
  peered with every other VPC (active peering, same Region, so SG references across it work).
* Per VPC and AZ: a public /22 (bastions, edge proxies, load balancer nodes, NAT gateway), two private
  app /20s (fleets) and a data /22 (databases, caches).
* Fleets, not random SGs: each service (ASG instances or ECS tasks) has one SG shared by all of its ENIs,
  plus the VPC's common SG (``base``: node exporter from the hub's monitoring SG, SSH from the VPC's
  bastions; data tiers get ``data-base``: metrics only). Fleet sizes are heavy-tailed. SG references
  between tiers: web <- ALB or edge, api-k <- 1-3 web/api SGs (tcp 8000+k), db/cache <- 1-3 api SGs.
* NACLs: public (deny telnet/RDP, allow the rest), private (SSH only from public subnets, all of
  10/8, ephemeral returns), data (database ports from the app range, metrics from the hub, returns).
* Route tables: public (0/0 -> IGW), private per AZ (0/0 -> that AZ's NAT gateway), data (main, local
  only); every table routes the hub (or, in the hub, each spoke) through the peering.
* Two load balancers: an ALB in VPC 1 in front of ``web-0`` (internet-facing in the ``internet``
  variant, internal otherwise) and an internal NLB (VPC 2, or VPC 1) in front of ``api-0``.
* Variant ``internet``: public-subnet ENIs (bastions, edge proxies, ALB nodes) get public IPs, edge SGs
  admit the world on 80/443, one legacy edge SG admits SSH from 0.0.0.0/0; ``private`` has no public
  IP on any ENI (IGWs and NAT gateways still exist).

``bench.json`` (next to ``aws_configs/``) names the resources the benchmark questions use (``picks``)
and the ENI count per role; the importer never reads it.

    python benchmarks/generate.py --enis 20000 --out benchmarks/out/n20000 [--seed 7] [--variant internet]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generate_lbs import ACCOUNT, REGION, load_balancer

VERSION = 2
AZS = ("us-east-1a", "us-east-1b", "us-east-1c")
PER_VPC = 2500
VARIANTS = ("private", "internet")
CORPORATE = "203.0.113.0/24"
_PUBLIC_BASE = int(ipaddress.IPv4Address("52.0.0.0"))
_ALL = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def _tcp(port: int, *, cidr: str | None = None, groups: list[str] = (), to: int | None = None) -> dict[str, Any]:
    perm: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port if to is None else to}
    if cidr:
        perm["IpRanges"] = [{"CidrIp": cidr}]
    if groups:
        perm["UserIdGroupPairs"] = [{"GroupId": g, "UserId": ACCOUNT} for g in groups]
    return perm


def _nacl_entry(n: int, egress: bool, action: str, cidr: str, proto: str = "-1", ports: tuple[int, int] | None = None) -> dict:
    e: dict[str, Any] = {"RuleNumber": n, "Protocol": proto, "RuleAction": action, "Egress": egress, "CidrBlock": cidr}
    if ports:
        e["PortRange"] = {"From": ports[0], "To": ports[1]}
    return e


def _tags(name: str) -> list[dict[str, str]]:
    return [{"Key": "Name", "Value": name}]


@dataclass
class _Service:
    name: str
    tier: str  # public | app | data
    sg: str
    ecs: bool = False
    size: int = 0
    enis: list[str] = field(default_factory=list)
    ips: list[tuple[str, str]] = field(default_factory=list)  # (private IP, AZ) per ENI, for target groups


@dataclass
class Estate:
    """The describe-* answers (file stem -> body) and what the benchmark asks about (``picks``)."""

    files: dict[str, dict[str, Any]]
    picks: dict[str, Any]
    roles: dict[str, int]


class _Builder:
    def __init__(self, n_enis: int, seed: int, variant: str) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
        if n_enis < 50:
            raise ValueError("at least 50 ENIs")
        self.n, self.rnd, self.variant = n_enis, random.Random(seed), variant
        self.n_vpcs = max(2, math.ceil(n_enis / PER_VPC))
        if self.n_vpcs > 250:
            raise ValueError("at most 250 VPCs (625,000 ENIs)")
        self.internet = variant == "internet"
        self.out: dict[str, list[dict[str, Any]]] = {k: [] for k in (
            "Vpcs", "Subnets", "NetworkInterfaces", "SecurityGroups", "NetworkAcls", "RouteTables",
            "InternetGateways", "NatGateways", "VpcPeeringConnections")}
        self.lb_files: dict[str, list[dict[str, Any]]] = {k: [] for k in (
            "LoadBalancers", "LoadBalancerAttributes", "LoadBalancerListeners", "TargetGroups", "LoadBalancerTargetHealth")}
        self.n_public_ips = 0
        self.next_ip: dict[str, int] = {}
        self.roles: Counter[str] = Counter()
        self.picks: dict[str, Any] = {}
        self.eni_count = 0
        self.monitoring_sg = self._sg_id(0, 0xFFF)
        self.alb_vpc, self.nlb_vpc = 1, min(2, self.n_vpcs - 1)

    # -- ids and addresses ------------------------------------------------------------------------

    @staticmethod
    def _sg_id(v: int, i: int) -> str:
        return f"sg-0{v:04x}{i:012x}"

    def _public_ip(self) -> str:
        self.n_public_ips += 1
        return str(ipaddress.IPv4Address(_PUBLIC_BASE + self.n_public_ips))

    def _alloc(self, subnet: dict[str, Any]) -> str:
        net = ipaddress.IPv4Network(subnet["CidrBlock"])
        k = self.next_ip.get(subnet["SubnetId"], 4)  # AWS reserves the first four addresses and the last
        if k >= net.num_addresses - 1:
            raise ValueError(f"subnet {subnet['SubnetId']} is full")
        self.next_ip[subnet["SubnetId"]] = k + 1
        return str(net.network_address + k)

    def _eni(self, v: int, subnet: dict[str, Any], groups: list[tuple[str, str]], role: str, *,
             description: str = "", instance: str | None = None, public: bool = False) -> dict[str, Any]:
        ip = self._alloc(subnet)
        eid = f"eni-0{v:04x}{self.eni_count:012x}"
        self.eni_count += 1
        self.roles[role] += 1
        e: dict[str, Any] = {
            "NetworkInterfaceId": eid, "SubnetId": subnet["SubnetId"], "VpcId": subnet["VpcId"],
            "AvailabilityZone": subnet["AvailabilityZone"], "Description": description, "InterfaceType": "interface",
            "Status": "in-use", "PrivateIpAddress": ip, "SourceDestCheck": True,
            "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": True}],
            "Groups": [{"GroupId": g, "GroupName": n} for g, n in groups],
        }
        if instance:
            e["Attachment"] = {"InstanceId": instance, "DeviceIndex": 0, "Status": "attached"}
        if public:
            assoc = {"PublicIp": self._public_ip(), "IpOwnerId": "amazon"}
            e["Association"] = assoc
            e["PrivateIpAddresses"][0]["Association"] = assoc
        self.out["NetworkInterfaces"].append(e)
        return e

    # -- one VPC ----------------------------------------------------------------------------------

    def vpc(self, v: int, quota: int) -> None:
        vid, base = f"vpc-0{v:016x}", f"10.{v}"
        env = "hub" if v == 0 else f"app{v}"
        self.out["Vpcs"].append({
            "VpcId": vid, "CidrBlock": f"{base}.0.0/16", "State": "available", "Tags": _tags(env),
            "CidrBlockAssociationSet": [{"CidrBlock": f"{base}.0.0/16", "CidrBlockState": {"State": "associated"}}]})
        subnets: dict[str, list[dict[str, Any]]] = {"public": [], "app0": [], "app1": [], "data": []}
        for a, az in enumerate(AZS):
            for t, (tier, cidr) in enumerate((("public", f"{base}.{4 * a}.0/22"), ("data", f"{base}.{32 + 4 * a}.0/22"),
                                              ("app0", f"{base}.{128 + 32 * a}.0/20"), ("app1", f"{base}.{144 + 32 * a}.0/20"))):
                sid = f"subnet-0{v:04x}{t:06x}{a:06x}"
                s = {"SubnetId": sid, "VpcId": vid, "CidrBlock": cidr, "AvailabilityZone": az, "State": "available",
                     "MapPublicIpOnLaunch": tier == "public", "Tags": _tags(f"{env}-{tier}-{az[-1]}")}
                subnets[tier].append(s)
                self.out["Subnets"].append(s)
        self._network(v, vid, base, env, subnets)
        sgs = self._services(v, vid, base, env, quota)
        self._place(v, subnets, sgs)
        if v in (self.alb_vpc, self.nlb_vpc):
            self._load_balancers(v, vid, env, subnets, sgs)
        if v == 1:
            self._pick(sgs)

    def _network(self, v: int, vid: str, base: str, env: str, subnets: dict[str, list[dict[str, Any]]]) -> None:
        igw = f"igw-0{v:016x}"
        self.out["InternetGateways"].append({"InternetGatewayId": igw, "OwnerId": ACCOUNT, "Tags": _tags(f"{env}-igw"),
                                              "Attachments": [{"State": "available", "VpcId": vid}]})
        if v == 0:
            peer_routes = [{"DestinationCidrBlock": f"10.{s}.0.0/16", "VpcPeeringConnectionId": f"pcx-0{s:016x}",
                            "Origin": "CreateRoute", "State": "active"} for s in range(1, self.n_vpcs)]
        else:
            peer_routes = [{"DestinationCidrBlock": "10.0.0.0/16", "VpcPeeringConnectionId": f"pcx-0{v:016x}",
                            "Origin": "CreateRoute", "State": "active"}]
            self.out["VpcPeeringConnections"].append({
                "VpcPeeringConnectionId": f"pcx-0{v:016x}", "Status": {"Code": "active", "Message": "Active"},
                "RequesterVpcInfo": {"VpcId": vid, "OwnerId": ACCOUNT, "Region": REGION, "CidrBlock": f"{base}.0.0/16"},
                "AccepterVpcInfo": {"VpcId": f"vpc-0{0:016x}", "OwnerId": ACCOUNT, "Region": REGION,
                                    "CidrBlock": "10.0.0.0/16"},
                "Tags": _tags(f"hub-{env}")})
        local = [{"DestinationCidrBlock": f"{base}.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable",
                  "State": "active"}]

        def table(name: str, routes: list[dict], subs: list[dict], main: bool = False) -> None:
            rid = f"rtb-0{v:04x}{len(self.out['RouteTables']):012x}"
            assoc = [{"RouteTableId": rid, "SubnetId": s["SubnetId"], "Main": False} for s in subs]
            if main:
                assoc.append({"RouteTableId": rid, "Main": True})
            self.out["RouteTables"].append({"RouteTableId": rid, "VpcId": vid, "Associations": assoc,
                                            "Tags": _tags(f"{env}-{name}"), "Routes": local + routes + peer_routes})

        table("public", [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw, "Origin": "CreateRoute", "State": "active"}],
              subnets["public"])
        for a, az in enumerate(AZS):
            nat = f"nat-0{v:04x}{a:012x}"
            pub = subnets["public"][a]
            self.out["NatGateways"].append({
                "NatGatewayId": nat, "SubnetId": pub["SubnetId"], "VpcId": vid, "State": "available",
                "ConnectivityType": "public", "Tags": _tags(f"{env}-nat-{az[-1]}"),
                "NatGatewayAddresses": [{"PrivateIp": self._alloc(pub), "PublicIp": self._public_ip(), "IsPrimary": True}]})
            table(f"private{a}", [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": nat, "Origin": "CreateRoute",
                                   "State": "active"}], [subnets["app0"][a], subnets["app1"][a]])
        table("data", [], subnets["data"], main=True)

        def acl(name: str, entries: list[dict], subs: list[dict]) -> None:
            aid = f"acl-0{v:04x}{len(self.out['NetworkAcls']):012x}"
            entries = entries + [_nacl_entry(32767, eg, "deny", "0.0.0.0/0") for eg in (False, True)]
            self.out["NetworkAcls"].append({"NetworkAclId": aid, "VpcId": vid, "IsDefault": False, "Entries": entries,
                                            "Tags": _tags(f"{env}-{name}"),
                                            "Associations": [{"NetworkAclId": aid, "SubnetId": s["SubnetId"]} for s in subs]})

        acl("public", [_nacl_entry(50, False, "deny", "0.0.0.0/0", "6", (23, 23)),
                       _nacl_entry(60, False, "deny", "0.0.0.0/0", "6", (3389, 3389)),
                       _nacl_entry(100, False, "allow", "0.0.0.0/0"), _nacl_entry(100, True, "allow", "0.0.0.0/0")],
            subnets["public"])
        acl("private", [_nacl_entry(40, False, "allow", f"{base}.0.0/20", "6", (22, 22)),
                        _nacl_entry(50, False, "deny", "0.0.0.0/0", "6", (22, 22)),
                        _nacl_entry(100, False, "allow", "10.0.0.0/8"),
                        _nacl_entry(110, False, "allow", "0.0.0.0/0", "6", (1024, 65535)),
                        _nacl_entry(120, False, "allow", "0.0.0.0/0", "17", (1024, 65535)),
                        _nacl_entry(100, True, "allow", "0.0.0.0/0")],
            subnets["app0"] + subnets["app1"])
        acl("data", [_nacl_entry(100, False, "allow", f"{base}.128.0/17", "6", (5432, 5432)),
                     _nacl_entry(110, False, "allow", f"{base}.128.0/17", "6", (6379, 6379)),
                     _nacl_entry(120, False, "allow", "10.0.0.0/16", "6", (9187, 9187)),
                     _nacl_entry(130, False, "allow", "10.0.0.0/8", "6", (1024, 65535)),
                     _nacl_entry(100, True, "allow", "10.0.0.0/8", "6", (1024, 65535)),
                     _nacl_entry(110, True, "allow", "0.0.0.0/0", "6", (443, 443))],
            subnets["data"])

    def _services(self, v: int, vid: str, base: str, env: str, quota: int) -> dict[str, _Service]:
        """The VPC's fleets with their SGs (rules written here), sized so that they hold ``quota`` ENIs."""
        rnd, sgs, n_sg = self.rnd, [], 0
        services: dict[str, _Service] = {}

        def sg(name: str, ingress: list[dict], egress: list[dict] | None = None, tier: str = "", ecs: bool = False) -> str:
            nonlocal n_sg
            gid = self.monitoring_sg if name == "monitoring" else self._sg_id(v, n_sg)
            n_sg += 1
            sgs.append({"GroupId": gid, "GroupName": f"{env}-{name}", "VpcId": vid, "OwnerId": ACCOUNT,
                        "Description": f"{name} ({env})", "IpPermissions": ingress,
                        "IpPermissionsEgress": [_ALL] if egress is None else egress})
            if tier:
                services[name] = _Service(name, tier, gid, ecs)
            return gid

        lb_share = (3 if v == self.alb_vpc else 0) + (3 if v == self.nlb_vpc else 0)
        n_svc = max(6, min(50, quota // 60))
        n_web, n_data, n_workers = max(1, n_svc // 8), max(2, n_svc // 6), max(1, n_svc // 6)
        n_api = max(1, n_svc - n_web - n_data - n_workers)
        sg("default", [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": self._sg_id(v, 0), "UserId": ACCOUNT}]}])
        bastion = sg("bastion", [_tcp(22, cidr=CORPORATE)], tier="public")
        world = "0.0.0.0/0" if self.internet else "10.0.0.0/8"
        edge_in = [_tcp(443, cidr=world), _tcp(80, cidr=world)]
        if self.internet and v == 1:
            edge_in.append(_tcp(22, cidr="0.0.0.0/0"))  # the legacy "temporary" SSH rule
        edge = sg("edge", edge_in, tier="public")
        self.base_sg = sg("base", [_tcp(9100, groups=[self.monitoring_sg]), _tcp(22, groups=[bastion])])
        self.data_base_sg = sg("data-base", [_tcp(9187, groups=[self.monitoring_sg])])
        if v == 0:
            sg("monitoring", [], tier="app")
        alb = self._sg_id(v, 0xA1B) if v == self.alb_vpc else None
        nlb = self._sg_id(v, 0xA1C) if v == self.nlb_vpc else None
        webs = [sg(f"web-{k}", [_tcp(8080, groups=[alb if alb and k == 0 else edge])], tier="app", ecs=k % 2 == 1)
                for k in range(n_web)]
        apis: list[str] = []
        for k in range(n_api):
            callers = ([webs[0]] if k == 0 else []) + rnd.sample(webs + apis, min(len(webs + apis), rnd.randint(1, 3)))
            ingress = [_tcp(8000 + k, groups=sorted(set(callers)))]
            if k % 5 == 4:
                ingress.append(_tcp(8000 + k, cidr=f"{base}.0.0/16"))
            if k == 0 and nlb:
                ingress.append(_tcp(8000, groups=[nlb]))
            apis.append(sg(f"api-{k}", ingress, tier="app", ecs=k % 3 == 0))
        for k in range(n_workers):
            sg(f"worker-{k}", [], tier="app")
        for k in range(n_data):
            kind, port = ("db", 5432) if k % 2 == 0 else ("cache", 6379)
            callers = sorted(set(rnd.sample(apis, min(len(apis), rnd.randint(1, 3)))))
            sg(f"{kind}-{k // 2}", [_tcp(port, groups=callers)], [] if k % 4 == 0 else None, tier="data")
        if alb:
            sgs.append({"GroupId": alb, "GroupName": f"{env}-alb", "VpcId": vid, "OwnerId": ACCOUNT, "Description": "alb",
                        "IpPermissions": [_tcp(443, cidr=world), _tcp(80, cidr=world)],
                        "IpPermissionsEgress": [_tcp(8080, groups=[webs[0]])]})
        if nlb:
            sgs.append({"GroupId": nlb, "GroupName": f"{env}-nlb", "VpcId": vid, "OwnerId": ACCOUNT, "Description": "nlb",
                        "IpPermissions": [_tcp(8000, cidr="10.0.0.0/8")], "IpPermissionsEgress": [_ALL]})
        self.out["SecurityGroups"].extend(sgs)
        self._size(services, quota - lb_share)
        return services

    def _size(self, services: dict[str, _Service], quota: int) -> None:
        """Heavy-tailed fleet sizes (Pareto weights, data tiers smaller), each >= 1, summing to ``quota``."""
        fixed = {"bastion": 2, "edge": max(1, quota // 25)}
        rest = [s for s in services.values() if s.name not in fixed]
        for name, size in fixed.items():
            services[name].size = size
        left = quota - sum(fixed.values())
        if left < len(rest):
            raise ValueError("too few ENIs for the VPC's fleets")
        weights = [min(50.0, self.rnd.paretovariate(1.2)) * (0.3 if s.tier == "data" else 1.0) for s in rest]
        total = sum(weights)
        spare = left - len(rest)
        shares = [w / total * spare for w in weights]
        sizes = [1 + int(x) for x in shares]
        order = sorted(range(len(rest)), key=lambda i: int(shares[i]) - shares[i])
        for i in order[: left - sum(sizes)]:
            sizes[i] += 1
        for s, size in zip(rest, sizes):
            s.size = size

    def _place(self, v: int, subnets: dict[str, list[dict[str, Any]]], services: dict[str, _Service]) -> None:
        """Fleet members round-robin over the AZs (as an ASG or ECS service spreads them), in the tier's subnets."""
        for k, s in enumerate(services.values()):
            tier = "app0" if s.tier == "app" and k % 2 == 0 else "app1" if s.tier == "app" else s.tier
            common = (self.data_base_sg, "data-base") if s.tier == "data" else (self.base_sg, "base")
            groups = [(s.sg, s.name)] + ([common] if s.tier != "public" else [])
            for i in range(s.size):
                subnet = subnets[tier][i % len(AZS)]
                if s.ecs:
                    desc, inst = f"arn:aws:ecs:{REGION}:{ACCOUNT}:attachment/{v:04x}-{k:04x}-{i:08x}", None
                else:
                    desc, inst = "", f"i-0{v:04x}{k:04x}{i:08x}"
                e = self._eni(v, subnet, groups, s.name.split("-")[0], description=desc, instance=inst,
                              public=self.internet and s.tier == "public")
                s.enis.append(e["NetworkInterfaceId"])
                s.ips.append((e["PrivateIpAddress"], subnet["AvailabilityZone"]))

    def _load_balancers(self, v: int, vid: str, env: str, subnets: dict[str, list[dict[str, Any]]],
                        services: dict[str, _Service]) -> None:
        """The ALB (VPC ``alb_vpc``, public subnets, in front of web-0 on 8080) and the NLB (VPC ``nlb_vpc``,
        app subnets, in front of api-0 on 8000): one node ENI per AZ each."""
        specs = []
        if v == self.alb_vpc:
            specs.append(("app", f"{env}-web", self._sg_id(v, 0xA1B), "public", services["web-0"], 8080,
                          [("HTTP", 80), ("HTTPS", 443)], "internet-facing" if self.internet else "internal"))
        if v == self.nlb_vpc:
            specs.append(("net", f"{env}-api", self._sg_id(v, 0xA1C), "app0", services["api-0"], 8000,
                          [("TCP", 8000)], "internal"))
        for kind, name, sg, tier, target, port, listeners, scheme in specs:
            lid = f"{v:04x}{kind}{0:09x}"
            for subnet in subnets[tier]:
                self._eni(v, subnet, [(sg, f"{env}-{kind}lb")], "lb", description=f"ELB {kind}/{name}/{lid}",
                          public=self.internet and scheme == "internet-facing")
            zones = [(s["AvailabilityZone"], s["SubnetId"]) for s in subnets[tier]]
            for stem, item in load_balancer(kind, name, lid, vid, sg, zones, scheme, port, listeners, target.ips).items():
                self.lb_files[stem].append(item)

    def _pick(self, services: dict[str, _Service]) -> None:
        """What the benchmark asks about, all in VPC 1: web-0 calls api-0 on tcp 8000 (reachable); no rule
        admits web-0 (or anything but api SGs and the hub's monitoring) into db-0, and nothing admits SSH
        into a data ENI (``* -> X tcp 22`` holds for nobody)."""
        web, api, db = services["web-0"], services["api-0"], services["db-0"]
        self.picks = {
            "reachable": {"src": web.enis[0], "dst": api.enis[0], "proto": "tcp 8000"},
            "unreachable": {"src": web.enis[0], "dst": db.enis[0], "proto": "tcp 5432"},
            "x": db.enis[0],
            "sg_a": web.sg, "sg_b": db.sg,
        }

    def build(self) -> Estate:
        quotas = [self.n // self.n_vpcs + (1 if v < self.n % self.n_vpcs else 0) for v in range(self.n_vpcs)]
        for v, q in enumerate(quotas):
            self.vpc(v, q)
        assert self.eni_count == self.n, (self.eni_count, self.n)
        files = {k: {k: rows} for k, rows in {**self.out, **self.lb_files}.items()}
        return Estate(files, self.picks, dict(sorted(self.roles.items())))


def build(n_enis: int, seed: int = 7, variant: str = "private") -> Estate:
    """The estate of ``n_enis`` ENIs for ``seed`` and ``variant`` (``private`` or ``internet``)."""
    return _Builder(n_enis, seed, variant).build()


def generate(n_enis: int, seed: int = 7, variant: str = "private") -> dict[str, dict]:
    """File stem -> describe-* body (what ``run.py`` writes into ``aws_configs/us-east-1``)."""
    return build(n_enis, seed, variant).files


def write(out: Path, n_enis: int, seed: int = 7, variant: str = "private") -> dict[str, Any]:
    """Writes ``out/aws_configs/us-east-1/*.json`` and ``out/bench.json``; returns the bench.json content."""
    estate = build(n_enis, seed, variant)
    region = Path(out) / "aws_configs" / REGION
    region.mkdir(parents=True, exist_ok=True)
    for stale in region.glob("*.json"):
        stale.unlink()
    for name, body in estate.files.items():
        (region / f"{name}.json").write_text(json.dumps(body, separators=(",", ":")))
    meta = {"generator": {"version": VERSION, "enis": n_enis, "seed": seed, "variant": variant},
            "counts": {name: len(body[name]) for name, body in estate.files.items()},
            "roles": estate.roles, "picks": estate.picks}
    (Path(out) / "bench.json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enis", type=int, default=1000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--variant", choices=VARIANTS, default="private")
    args = ap.parse_args()
    t = time.perf_counter()
    meta = write(args.out, args.enis, args.seed, args.variant)
    print(f"wrote {args.enis} ENIs ({args.variant}, seed {args.seed}) to {args.out} in {time.perf_counter() - t:.1f} s: "
          + ", ".join(f"{k} {v}" for k, v in meta["counts"].items()))


if __name__ == "__main__":
    main()
