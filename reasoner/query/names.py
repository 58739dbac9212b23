"""Resolves query endpoints to sets of ENIs with their addresses.

An endpoint is an ENI id (all its private addresses), an instance id (all its ENIs), a subnet,
security group or VPC id (every ENI in it / carrying it), an IPv4 address (the ENIs that own it as a
private address, or the ENI whose public IP it is; any other public address is a host on the
internet), a CIDR (the internet's addresses in it when all are public and outside the VPCs, else the ENIs with an
address in it: ``Resolver._cidr``), ``internet`` (every public address), ``*`` (every ENI of the snapshot), ``ecs:CLUSTER`` / ``ecs:CLUSTER/SERVICE`` / an ECS task
ARN or id (the ENIs of its running awsvpc tasks), a Name tag, or an alias from ``reason.toml``
(``[aliases] name = "id"``) next to the facts.  A set endpoint is answered existentially: reachable
when some member reaches, so "unreachable" covers every member.  Unknown names list the closest known
names; a private address that no ENI owns is refused, never guessed.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import time
import tomllib
from functools import cached_property
from pathlib import Path

from reasoner import addresses
from reasoner.errors import FactsError, QueryError
from reasoner.explain.paths import INTERNET, NOT_INTERNET_RANGES, Endpoint, _public, own_public_ips
from reasoner.explain.space import cuts
from reasoner.query.language import written


def load_aliases(facts_dir: Path) -> dict[str, str]:
    """``[aliases]`` of ``reason.toml`` next to the facts ({} without the file).  A ``reason.toml`` that is not a
    readable UTF-8 TOML file (a directory, a symlink loop, bad bytes) is a FactsError naming it, never ignored.
    While another process swaps the folder in (see ``load_snapshot``) the file is waited for."""
    from reasoner.facts.folders import swap_in_progress

    path = facts_dir / "reason.toml"
    deadline, attempt = time.monotonic() + 10.0, 0
    while True:
        try:
            text = path.read_bytes()
            break
        except FileNotFoundError:  # absent, or the folder is being swapped: look again while a writer is at it
            attempt += 1
            if time.monotonic() > deadline or (attempt > 2 and not swap_in_progress(facts_dir)):
                return {}
            time.sleep(min(0.001 * attempt, 0.02))
        except OSError as err:
            raise FactsError("facts.bad_toml", f"cannot read: {err.strerror or err}", location=str(path),
                             hint="reason.toml must be a regular file ([aliases] name = \"id\")") from None
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise FactsError("facts.bad_toml", f"not UTF-8 text: {err.reason} at byte {err.start}", location=str(path)) from None
    except tomllib.TOMLDecodeError as err:
        raise FactsError("facts.bad_toml", f"cannot read {path}: {err}", location=str(path)) from None
    except RecursionError:
        raise FactsError("facts.bad_toml", f"cannot read {path}: nested too deep", location=str(path)) from None
    unknown = sorted(set(data) - {"aliases"})
    if unknown:  # a misspelt table ([alias]) would drop every alias in it unseen
        raise FactsError("facts.bad_toml", f"unknown table or key {unknown[0]!r} in reason.toml", location=str(path),
                         hint=did_you_mean(unknown[0], ["aliases"], 0.5) + " (reason.toml holds [aliases] name = \"id\")")
    aliases = data.get("aliases", {})
    if not isinstance(aliases, dict) or not all(isinstance(v, str) for v in aliases.values()):
        raise FactsError("facts.bad_toml", "[aliases] must map names to resource ids (strings)", location=str(path))
    return dict(aliases)


def _elb_name(name: str, arn: str) -> str | None:
    """``name`` as a query writes it when ``arn`` is a load balancer's (``alb:``/``nlb:``) or a target group's (``tg:``);
    None for anything else."""
    kind = arn.split(":", 5)[-1].split("/", 1)[0] if arn.startswith("arn:aws:elasticloadbalancing:") else ""
    if kind == "targetgroup":
        return f"tg:{name}"
    if kind == "loadbalancer":
        lb_type = arn.split(":loadbalancer/", 1)[-1].split("/", 1)[0]
        return {"app": f"alb:{name}", "net": f"nlb:{name}"}.get(lb_type, f"alb:{name} or nlb:{name}")
    return None


def did_you_mean(name: str, known: list[str], cutoff: float) -> str:
    """The hint for an unknown name: its close matches, else the first known names; each as a query writes it (in
    quotes when it holds a space, a comma, a quote ...: ``language.written``)."""
    near = difflib.get_close_matches(name, known, n=5, cutoff=cutoff)
    if near:
        return f"did you mean: {', '.join(map(written, near))}?"
    return "known names: " + (", ".join(map(written, known[:10])) or "none")


#: What a CIDR looks like (an address of either family, "/", a length); checked by ipaddress in ``Resolver._cidr``.
_CIDR_SHAPE = re.compile(r"[0-9A-Fa-f.:]+/[0-9]+")


#: the NAT64 well-known prefix 64:ff9b::/96 (RFC 6052): an IPv4 address of the internet as an IPv6-only host reaches it
#: through a NAT gateway's NAT64 (nat-gateway-nat64-dns64.html), which this version does not model
NAT64_LO = addresses.parse("64:ff9b::")
NAT64_HI = addresses.parse("64:ff9b::ffff:ffff")


def _nat64(target: str) -> QueryError:
    return QueryError("query.nat64", f"{target} is in 64:ff9b::/96, the NAT64 prefix: such traffic goes through a NAT "
                      "gateway's NAT64 translation to IPv4, which this version does not model",
                      hint="ask the IPv4 address it stands for from an ENI with an IPv4 address, or see README \"Not yet\"")


class Resolver:
    """Maps endpoint names of one snapshot to lists of :class:`Endpoint`."""

    def __init__(self, relations: dict[str, list[tuple]], names: dict[str, str], aliases: dict[str, str]) -> None:
        self.rel, self.names, self.aliases = relations, names, aliases

    # Indexes are built on first use: a fresh process answering one query about one ENI builds two.
    @cached_property
    def eni_ips(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for eni, ip in self.rel.get("eni_ip", []):
            out.setdefault(eni, []).append(ip)
        return out

    @cached_property
    def enis(self) -> dict[str, tuple]:
        return {row[0]: row for row in self.rel.get("eni", [])}

    @cached_property
    def ip_owners(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for eni, ips in self.eni_ips.items():
            for ip in ips:
                out.setdefault(ip, []).append(eni)
        return out

    @cached_property
    def public(self) -> dict[int, tuple[str, int]]:
        return {pub: (eni, priv) for eni, priv, pub in self.rel.get("eni_public_ip", [])}

    @cached_property
    def snapshot_public(self) -> dict[int, str]:
        """Every public IP the snapshot gives a resource (an ENI's, a NAT gateway's, a load balancer's), to its owner."""
        return own_public_ips(self.rel)

    @cached_property
    def instance_enis(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for eni, inst in self.rel.get("eni_attachment", []):
            out.setdefault(inst, []).append(eni)
        return out

    @cached_property
    def members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for row in self.rel.get("eni", []):
            out.setdefault(row[1], []).append(row[0])
            out.setdefault(row[2], []).append(row[0])
        for eni, sg in self.rel.get("eni_sg", []):
            out.setdefault(sg, []).append(eni)
        return out

    @cached_property
    def sets(self) -> set[str]:
        return {r[0] for kind in ("subnet", "sg", "vpc") for r in self.rel.get(kind, [])}

    @cached_property
    def vpc_ranges(self) -> list[tuple[int, int]]:
        return [(r[1], r[2]) for r in self.rel.get("vpc", [])]

    @cached_property
    def by_name(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for rid, name in self.names.items():
            out.setdefault(name, []).append(rid)
        return out

    @cached_property
    def ecs(self) -> dict[str, list[str]]:
        """ECS (awsvpc tasks): ecs:CLUSTER, ecs:CLUSTER/SERVICE, the cluster's or service's ARN (``ecs:ARN``), a task
        ARN or id -> the tasks' ENIs. A name is unique per account and Region only (ecs_named says which ARNs carry
        it; resolve refuses one carried by several)."""
        task_enis: dict[str, list[str]] = {}
        for task, eni, _, _ in sorted(self.rel.get("ecs_task_eni", [])):
            task_enis.setdefault(task, []).append(eni)
        out: dict[str, list[str]] = {}
        for task, cluster, service, _, status in sorted(self.rel.get("ecs_task", [])):
            if status not in ("RUNNING", "PENDING", "PROVISIONING", "ACTIVATING"):
                continue
            keys = [task, task.rsplit("/", 1)[-1]] + [k for k, _ in self._ecs_keys(cluster, service)]
            for key in keys:
                out.setdefault(key, []).extend(task_enis.get(task, []))
        return out

    @cached_property
    def _ecs_cluster_names(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self.rel.get("ecs_cluster", [])}

    @cached_property
    def _ecs_service_arns(self) -> dict[tuple[str, str], str]:
        """(cluster ARN, service name) -> the service's ARN (EcsServices)."""
        return {(r[1], r[2]): r[0] for r in sorted(self.rel.get("ecs_service", []))}

    def _ecs_keys(self, cluster: str, service: str) -> list[tuple[str, str]]:
        """The names of a cluster (``service`` "") or of a service of it, each with the ARN it stands for: ecs:NAME and
        ecs:ARN; a service's ARN is arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE, or the one EcsServices gives
        (an older ARN lacks the cluster)."""
        cname = self._ecs_cluster_names.get(cluster, cluster.rsplit("/", 1)[-1])
        if not service:
            return [(f"ecs:{cname}", cluster), (f"ecs:{cluster}", cluster)]
        arns = {cluster.replace(":cluster/", ":service/", 1) + f"/{service}" if ":cluster/" in cluster else ""}
        arns |= {self._ecs_service_arns.get((cluster, service), "")}
        arns.discard("")
        arn = self._ecs_service_arns.get((cluster, service)) or min(arns, default=f"{cluster}/{service}")
        return ([(f"ecs:{cname}", cluster), (f"ecs:{cluster}", cluster), (f"ecs:{cname}/{service}", arn)]
                + [(f"ecs:{a}", arn) for a in sorted(arns)])

    @cached_property
    def ecs_named(self) -> dict[str, set[str]]:
        """ecs:CLUSTER, ecs:CLUSTER/SERVICE and ecs:ARN -> the ARNs of the clusters or services it names, tasks or not:
        several when clusters or services of one name run in other accounts or Regions (cluster and service names are
        unique per account and Region only: arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE)."""
        out: dict[str, set[str]] = {}
        pairs = [(r[0], "") for r in self.rel.get("ecs_cluster", [])] + [(r[1], r[2]) for r in self.rel.get("ecs_service", [])]
        pairs += [(r[1], "") for r in self.rel.get("ecs_task", [])] + [(r[1], r[2]) for r in self.rel.get("ecs_task", []) if r[2]]
        for cluster, service in pairs:
            for key, arn in self._ecs_keys(cluster, service):
                out.setdefault(key, set()).add(arn)
        return out

    @cached_property
    def ecs_clusters(self) -> set[str]:
        """The names of the snapshot's ECS clusters (ecs:CLUSTER[/SERVICE] names one, tasks or not)."""
        return {r[1] for r in self.rel.get("ecs_cluster", [])} | {r[0].rsplit("/", 1)[-1] for r in self.rel.get("ecs_cluster", [])}

    def _maybe_service(self, target: str) -> bool:
        """Whether ``ecs:CLUSTER[/SERVICE]`` (not in ``ecs_named``) may still name a cluster or service of the snapshot
        with no task: a known cluster alone, or a service of one when the snapshot lacks the EcsServices or EcsTasks
        answer that would list it.  With both, an unknown service is an unknown name (``ecs:prod/wbe``: did you
        mean ``ecs:prod/web``?), not a service without tasks."""
        cluster, _, service = target[4:].partition("/")
        if cluster not in self.ecs_clusters:
            return False
        return not service or not {("EcsServices",), ("EcsTasks",)} <= self._answers

    @cached_property
    def _answers(self) -> set[tuple]:
        """The describe-* answers the snapshot holds (``snapshot_has`` rows)."""
        return set(self.rel.get("snapshot_has", []))

    def known(self) -> list[str]:
        """The names a query may use, as it writes them: a load balancer's or target group's name with its prefix
        (``tg:task-tg``; bare, it is refused)."""
        names = {(_elb_name(n, ids[0]) or n) if len(ids) == 1 else n for n, ids in self.by_name.items()}
        return sorted(set(self.aliases) | set(self.enis) | set(self.instance_enis) | names | self.sets | {INTERNET}
                      | {k for k in self.ecs if k.startswith("ecs:")})

    def _eni(self, eni: str) -> Endpoint:
        ips = self.eni_ips.get(eni)
        if not ips:
            raise QueryError("query.no_address", f"{eni} has no private IPv4 address in the snapshot")
        return Endpoint(eni, tuple(sorted(ips)))

    def resolve(self, name: str) -> list[Endpoint]:
        target = self.aliases.get(name, name)
        if target == INTERNET:
            return [Endpoint(INTERNET)]
        if target == "*":  # every ENI of the snapshot with an address
            return [self._eni(e) for e in sorted(self.enis) if self.eni_ips.get(e)]
        if target in self.enis:
            return [self._eni(target)]
        if target in self.instance_enis:
            return [self._eni(e) for e in sorted(self.instance_enis[target])]
        arns = sorted(self.ecs_named.get(target, ()))
        if len(arns) > 1:  # never the union, nor the first: another account's or Region's tasks are not this one's
            kind = "services" if "/" in target else "clusters"
            raise QueryError("query.ambiguous", f"{len(arns)} ECS {kind} are called {target[4:]!r} (other accounts or "
                             f"Regions): {', '.join(arns)}", hint="name one by its ARN: " + ", ".join(f"ecs:{a}" for a in arns))
        if target in self.ecs:
            return self.set_of(target, self.ecs[target], "no running task with a network interface")
        if target.startswith("ecs:") and (target in self.ecs_named or self._maybe_service(target)):
            # a cluster or service of the snapshot with no running task (it said "unknown endpoint 'arn:aws:ecs:...'")
            collected = ("EcsTasks",) in self._answers
            raise QueryError("query.empty_set", f"{target} has no running task with a network interface in the snapshot"
                             + ("" if collected else " (the snapshot holds no EcsTasks answer)"),
                             hint="" if collected else "collect the tasks (reason collect does), or name the ENIs")
        if target in self.sets:
            return self.set_of(target, self.members.get(target, []), "no network interface with an IPv4 address")
        try:
            ip = addresses.parse(target)
        except ValueError as e:
            ip = None
            try:
                ipaddress.ip_address(target)
            except ValueError:
                pass
            else:  # an address, but none an interface can have (::1, ::)
                raise QueryError("query.bad_address", str(e)) from None
        if ip is not None:
            if ip in self.ip_owners:  # an IPv6 address is the one the internet uses too: not "private"
                how = "private" if addresses.family(ip) == "ipv4" else ""
                return [Endpoint(e, (ip,), how) for e in sorted(self.ip_owners[ip])]
            if ip in self.public:
                eni, private = self.public[ip]
                return [Endpoint(eni, (private,), "public")]
            if ip in self.snapshot_public:  # a NAT gateway's or a load balancer's: of the snapshot, not the internet's
                owner = self.snapshot_public[ip]
                if owner.startswith("nat-"):
                    raise QueryError("query.own_public_ip", f"{target} is the public IP of the NAT gateway {owner}, not an "
                                     "internet address: a NAT gateway accepts no connection to its own address "
                                     "(vpc-nat-gateway.html), and what is sent from it is its clients' traffic",
                                     hint=f"ask what leaves through it: SRC -> internet (from an ENI whose route is {owner})")
                kind = {"application": "alb", "network": "nlb"}.get(next(
                    (r[2] for r in self.rel.get("load_balancer", []) if r[0] == owner), ""), "")
                name = f"{kind}:{self.names.get(owner, owner)}" if kind else owner  # as the resolver requires it
                raise QueryError("query.own_public_ip", f"{target} is a public IP of the load balancer "
                                 f"{self.names.get(owner, owner)}, not an internet address",
                                 hint=f"name the load balancer: internet -> {name} PROTO PORT")
            if self._on_internet(ip):
                return [Endpoint(INTERNET, (ip,))]
            for eni, lo, hi in self.rel.get("eni_ipv6_prefix", []):  # (reasoner/explain/prefix_addresses.py)
                if lo <= ip <= hi:
                    raise QueryError("query.prefix_address", f"{target} is an address of the IPv6 prefix "
                                     f"{addresses.range_text(lo, hi)} delegated to {eni}; its addresses are asked together, "
                                     "cut where a rule tells them apart, not one by one",
                                     hint=f"ask {eni}, or the prefix: {addresses.range_text(lo, hi)}")
            if NAT64_LO <= ip <= NAT64_HI:
                raise _nat64(target)
            raise QueryError("query.unknown_address", f"no network interface in the snapshot has the address {target}",
                             hint="a private or in-VPC address must belong to an ENI of the snapshot")
        if _CIDR_SHAPE.fullmatch(target) and target not in self.by_name:
            return self._cidr(target)
        if target in self.by_name:
            ids = sorted(self.by_name[target])
            if len(ids) > 1:
                raise QueryError("query.ambiguous", f"the name {target!r} is carried by several resources: {', '.join(ids)}",
                                 hint="use one id, or an alias in reason.toml")
            if ids[0] == target:
                raise QueryError("query.unsupported_endpoint", f"{target} is not a network endpoint this version analyses")
            how = _elb_name(target, ids[0])
            if how is not None:  # (the name of a load balancer or target group, bare)
                kind = "target group" if how.startswith("tg:") else "load balancer"
                raise QueryError("query.unknown_name", f"{target!r} is the name of a {kind}: name it {how}")
            return self.resolve(ids[0])
        raise QueryError("query.unknown_name", f"unknown endpoint {name!r}", hint=did_you_mean(name, self.known(), 0.5))

    def _cidr(self, target: str) -> list[Endpoint]:
        """A CIDR: the internet's addresses in it when it holds only public addresses outside the snapshot's VPCs
        (``Endpoint.within``: its representatives are cut at its bounds, reasoner/explain/space.py); else the ENIs of
        the snapshot with an address in it, each with those addresses (named by address: "private" for IPv4, as one
        address is), an empty set being an error.  A CIDR holding both kinds is refused: which one the question
        means is not for the tool to guess."""
        try:
            net = ipaddress.ip_network(target)
        except ValueError as e:
            try:
                loose = ipaddress.ip_network(target, strict=False)
            except ValueError:
                raise QueryError("query.bad_cidr", f"{target!r} is not an address range: {e}",
                                 hint="write a CIDR: 203.0.113.0/24, 10.0.0.0/16, 2001:db8::/32") from None
            raise QueryError("query.bad_cidr", f"{target} has bits set beyond its /{loose.prefixlen} prefix",
                             hint=f"did you mean {loose}?") from None
        if net.num_addresses == 1:  # one address (/32, /128): as the address is named (an ENI's own, or the internet's)
            return self.resolve(str(net.network_address))
        try:
            lo, hi, _ = addresses.parse_cidr(str(net))
        except ValueError as e:
            raise QueryError("query.bad_cidr", str(e)) from None
        if lo <= NAT64_HI and NAT64_LO <= hi:
            raise _nat64(target)
        # the range cut where an address stops (or starts) being one of the internet's: each piece is of one kind
        kinds = {self._on_internet(p) for p in cuts(lo, hi, NOT_INTERNET_RANGES + self.vpc_ranges)}
        if kinds == {True}:  # all public, outside the VPCs: the internet, within the range
            ours = sorted(ip for ip in self.snapshot_public if lo <= ip <= hi)
            if ours:  # (a packet to one of them would leave by an internet gateway and come back in)
                owner = self.snapshot_public[ours[0]]
                raise QueryError("query.nat_reflection", f"{target} holds public IPs of the snapshot ({len(ours)}, "
                                 f"{addresses.text(ours[0])} of {owner} first), which are not the internet: a path to "
                                 "or from them leaves through an internet gateway and comes back in (IGW_NAT_REFLECTION: "
                                 "not analysed as one path)",
                                 hint="name a range without them, or ask the two halves: SRC -> internet, then "
                                      "internet -> the resource (by id)")
            return [Endpoint(INTERNET, None, within=(lo, hi))]
        if kinds == {True, False}:
            raise QueryError("query.mixed_cidr", f"{target} holds both internet addresses and addresses of the snapshot's "
                             "VPCs or of private ranges",
                             hint="name one part: a VPC's or subnet's CIDR (its network interfaces), or a public range "
                                  "(internet addresses); `internet` is every public address, `*` every network interface")
        how = "private" if addresses.family(lo) == "ipv4" else ""
        out = []
        for eni in sorted(self.eni_ips):
            ips = sorted(self.eni_ips[eni])
            mine = [ip for ip in ips if lo <= ip <= hi]
            if mine:
                out.append(Endpoint(eni, tuple(mine), how))
        if not out:
            raise QueryError("query.empty_set", f"no network interface in the snapshot has an address in {target}")
        return out

    def _on_internet(self, ip: int) -> bool:
        """Whether an address is one of the internet's: public, and in none of the snapshot's VPCs."""
        return _public(ip) and not any(lo <= ip <= hi for lo, hi in self.vpc_ranges)

    def set_of(self, target: str, enis: list[str], none: str) -> list[Endpoint]:
        """The members of a set endpoint that have an address; an empty set is an error, not a silent pass."""
        members = sorted(set(e for e in enis if self.eni_ips.get(e)))
        if not members:
            raise QueryError("query.empty_set", f"{target} has {none} in the snapshot")
        return [self._eni(e) for e in members]
