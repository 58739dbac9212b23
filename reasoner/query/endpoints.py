"""Endpoint resolution, in one place: what a name in a query stands for.

- ENIs, addresses and CIDRs, instances, Name tags, aliases (``reason.toml``), subnets, security groups, VPCs, ``*``,
  ``internet`` and ECS clusters/services: :class:`reasoner.query.names.Resolver`, used from here;
- load balancers (``alb:NAME``, ``nlb:NAME`` or an ARN) and their nodes (a node among a query's destinations is
  answered through its load balancer: README "Load balancers", ``split_nodes``);
- target groups (``tg:NAME`` or an ARN): the ENIs owning the registered targets' addresses, at those addresses;
- tags (``tag:KEY=VALUE``): every ENI tagged so, as ``eni_tag`` (rules/tags.dl) says: its own tag, else its
  owner's (ECS task or service, load balancer, VPC endpoint), else its instance's.  The rows come from the session's engines (``tagged``);
  every other answer comes from the snapshot's rows (``load_balancer``, ``target_group``, ``lb_eni``,
  ``tg_target``, with the derived nodes).

The question layer (reasoner/session.py) asks this module, and the load-balancer analysis
(reasoner/explain/loadbalancers.py) reads its tables.
A name holding a space, a comma or a quote is written in double quotes (``"tag:Team=Data Eng"`` or
``tag:Team="Data Eng"``, reasoner/query/language.py); a tag key may hold ``=`` (``tag_endpoints`` tries each split).
Not handled: a target group named by its Name tag (use ``tg:NAME``), targets without an address (lambda).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Callable, Iterable

from reasoner.errors import FactsError, QueryError
from reasoner.explain.paths import INTERNET, Endpoint
from reasoner.query.names import Resolver, did_you_mean

LB_KINDS = {"alb": "application", "nlb": "network"}


class Endpoints:
    """The names of one snapshot: ``resolve`` gives the endpoints a query's side stands for."""

    def __init__(self, relations: dict[str, list[tuple]], names: dict[str, str], aliases: dict[str, str],
                 aliases_file: str = "reason.toml") -> None:
        self.resolver = Resolver(relations, names, aliases)
        #: key -> (eni, value) for every ENI ``eni_tag`` tags with that key (``tag:KEY=VALUE``): the session's
        #: engines answer it (reasoner/session.py ``eni_tags``); None, no ENI is tagged
        self.tagged: Callable[[str], Iterable[tuple[str, str]]] | None = None
        #: target group -> {target address: its ENI} as rules/load_balancers.dl ``target_eni`` places them (reasoner/
        #: session.py ``target_enis``); the one place a target's ENI is chosen
        self.located: Callable[[str], dict[int, str]] | None = None
        self.names = names
        self.lbs = {r[0]: r for r in relations.get("load_balancer", [])}
        self.tgs = {r[0]: r for r in relations.get("target_group", [])}
        self._node_lb = {e: lb for lb, e in relations.get("lb_eni", [])}
        self._targets: dict[str, list[tuple]] = {}
        for row in relations.get("tg_target", []):
            self._targets.setdefault(row[0], []).append(row)
        # every offending alias is named at once, so one edit of the file mends them all
        shadows = [(alias, hidden) for alias in sorted(aliases) if (hidden := self._taken(alias)) is not None]
        if shadows:
            said = "; ".join(f"the alias {alias!r} would hide {hidden}" for alias, hidden in shadows)
            raise FactsError("facts.alias_shadows", said, location=aliases_file,
                             hint=f"an alias names something new: rename {'it' if len(shadows) == 1 else 'them'} "
                                  "(a Name tag may be aliased, nothing else)")

    def _taken(self, name: str) -> str | None:
        """What ``name`` already means in a query, if anything but a Name tag: a keyword (``internet``, ``*``), a
        prefix of the query language (``alb:``, ``nlb:``, ``tg:``, ``ecs:``, ``arn:``, ``tag:``), an address, or the id of a
        resource of the snapshot.  An alias may not take such a name: a query would then silently ask about
        something else than what it says."""
        r = self.resolver
        if name in (INTERNET, "*"):
            return f"the keyword {name!r}"
        prefix = name.partition(":")[0]
        if ":" in name and prefix in ("alb", "nlb", "tg", "ecs", "arn", "tag"):
            return f"a name of the query language ({prefix}:...)"
        try:
            ipaddress.ip_network(name, strict=False)
            return "an address"
        except ValueError:
            pass
        if (name in r.enis or name in r.instance_enis or name in r.sets or name in self.lbs or name in self.tgs
                or name in r.ecs or name in self.names):
            return f"the resource {name} of the snapshot"
        return None

    def target(self, name: str) -> str:
        """``name`` with an alias of ``reason.toml`` replaced by what it stands for."""
        return self.resolver.aliases.get(name, name)

    # -- sides of a query ----------------------------------------------------------------------
    def resolve(self, name: str, family: str | None = None) -> list[Endpoint]:
        """The endpoints ``name`` stands for (not a load balancer: ``resolve_lb`` first); with ``family``
        ("ipv4"/"ipv6"), asked about that family only."""
        target = self.target(name)
        if target.startswith("tg:"):
            eps = self.tg_endpoints(self.resolve_tg(target))
        elif target.startswith("tag:"):
            eps = self.tag_endpoints(target)
        else:
            eps = self.resolver.resolve(name)
        return [dataclasses.replace(e, family=family) for e in eps] if family else eps

    def tag_endpoints(self, text: str) -> list[Endpoint]:
        """``tag:KEY=VALUE``: every ENI (with an address) ``eni_tag`` tags KEY=VALUE; none is an error naming the
        values the key has, never an empty set that would pass for isolation.  A tag key may itself hold ``=`` (AWS
        allows it): the text is split at each ``=`` in turn, and the one reading under which some ENI is tagged is
        taken; two such readings are an error naming both, never a guess."""
        body = text[len("tag:"):]
        splits = [(body[:i], body[i + 1:]) for i, c in enumerate(body) if c == "=" and i]
        if not splits:
            raise QueryError("query.bad_tag", f"{text!r}: write tag:KEY=VALUE",
                             hint="e.g. tag:tier=db (keys and values as AWS spells them: case counts)")
        known: set[str] = set()
        readings: list[tuple[str, str, list[str]]] = []
        for key, value in splits:
            rows = list(self.tagged(key)) if self.tagged is not None else []
            known.update(f"tag:{key}={v}" for _, v in rows)
            members = [e for e, v in rows if v == value]
            if members:
                readings.append((key, value, members))
        if len(readings) > 1:
            both = "; ".join(f"key {k!r} = value {v!r} ({len(m)} network interface{'s' if len(m) > 1 else ''})"
                             for k, v, m in readings)
            raise QueryError("query.ambiguous_tag", f"{text!r} names more than one tag: {both}",
                             hint="name the network interfaces another way (their ids, subnet or security group), "
                                  "or rename one of the tags")
        if not readings:
            key, value = splits[0]
            raise QueryError("query.empty_set", f"no network interface is tagged {key}={value} in the snapshot",
                             hint=did_you_mean(text, sorted(known), 0.4) if known else f"no network interface has a tag {key}")
        return self.resolver.set_of(text, readings[0][2], "no network interface with an address")

    def is_set(self, name: str) -> bool:
        """Whether ``name`` stands for a set (several ENIs, or the internet's every public address)."""
        target = self.target(name)
        if self.resolve_lb(target) is not None:
            return False
        if target == "*" or target.startswith(("ecs:", "tag:")):  # every ENI; a cluster's or service's tasks; a tag
            return True
        r = self.resolver
        named = sorted(r.by_name.get(target, []))
        if (named[0] if len(named) == 1 else target) in r.sets:  # a subnet, group or VPC, by id or Name tag
            return True
        eps = self.resolve(name)
        return len(eps) > 1 or any(e.is_internet and e.ips is None for e in eps)

    def names_load_balancer(self, *names: str) -> bool:
        """Whether one of ``names`` is a load balancer (``alb:``/``nlb:``/ARN)."""
        return any(self.resolve_lb(self.target(n)) is not None for n in names)

    def split_nodes(self, dsts: list[Endpoint]) -> tuple[list[Endpoint], dict[str, list[Endpoint]]]:
        """Destinations split into plain ENIs (and the internet) and, per load balancer (sorted by id), its nodes
        among them: a packet to a node is a request to the load balancer (README "Load balancers")."""
        plain: list[Endpoint] = []
        by_lb: dict[str, list[Endpoint]] = {}
        for d in dsts:
            lb = None if d.is_internet else self.lb_of_node(d.eni)
            (plain if lb is None else by_lb.setdefault(lb, [])).append(d)
        return plain, dict(sorted(by_lb.items()))

    # -- load balancers and target groups ------------------------------------------------------
    def resolve_lb(self, text: str) -> str | None:
        """``alb:NAME`` / ``nlb:NAME`` / a load balancer ARN -> its ARN; None if not a load balancer name."""
        kind, _, name = text.partition(":")
        if text in self.lbs:
            return text
        if kind not in LB_KINDS or not name:
            return None
        hits = [arn for arn, r in self.lbs.items() if (r[1] == name or arn == name) and r[2] == LB_KINDS[kind]]
        if not hits:
            known = [f"{k}:{r[1]}" for r in self.lbs.values() for k, t in LB_KINDS.items() if r[2] == t]
            raise QueryError("query.unknown_name", f"no {LB_KINDS[kind]} load balancer called {name!r}",
                             hint=did_you_mean(text, known, 0.4))
        if len(hits) > 1:  # a name is unique per account and Region only (CreateLoadBalancer Name): never the first one
            raise QueryError("query.ambiguous", f"{len(hits)} {LB_KINDS[kind]} load balancers are called {name!r}: "
                             f"{', '.join(sorted(hits))}", hint="name one by its ARN")
        return hits[0]

    def resolve_tg(self, text: str) -> str:
        """``tg:NAME`` / a target group ARN -> its ARN (QueryError with close matches when there is none)."""
        name = text[3:] if text.startswith("tg:") else text
        hits = [arn for arn, r in self.tgs.items() if r[1] == name or arn == name]
        if not hits:
            raise QueryError("query.unknown_name", f"no target group called {name!r}",
                             hint=did_you_mean(f"tg:{name}", [f"tg:{r[1]}" for r in self.tgs.values()], 0.4))
        if len(hits) > 1:  # unique per account and Region only (CreateTargetGroup Name): never the first one
            raise QueryError("query.ambiguous", f"{len(hits)} target groups are called {name!r}: {', '.join(sorted(hits))}",
                             hint="name one by its ARN")
        return hits[0]

    def lb_label(self, lb: str) -> str:
        """``alb:web`` / ``nlb:api`` for a load balancer ARN (the name users type)."""
        row = self.lbs.get(lb)
        kind = {t: k for k, t in LB_KINDS.items()}.get(row[2], "lb") if row else "lb"
        return f"{kind}:{row[1]}" if row else lb

    def lb_of_node(self, eni: str) -> str | None:
        """The load balancer whose node ``eni`` is, if any."""
        return self._node_lb.get(eni)

    def target_eni(self, tg: str, ip: int) -> str | None:
        """The ENI behind a target's address, as rules/load_balancers.dl ``target_eni`` places it (in the target group's
        VPC, else in a VPC joined to it; None when no ENI or two are: the rules then say what is missing), asked of the
        session's engine (``located``, set by reasoner/session.py; before that, no target is placed)."""
        return self.located(tg).get(ip) if self.located is not None else None

    def tg_endpoints(self, tg: str) -> list[Endpoint]:
        """The ENIs behind the registered targets of tg, at the targets' addresses."""
        out: dict[str, set[int]] = {}
        for _, _, ip, _, _ in self._targets.get(tg, []):
            eni = self.target_eni(tg, ip) if ip else None
            if eni is not None:
                out.setdefault(eni, set()).add(ip)
        if not out:
            raise QueryError("query.empty_set", f"tg:{self.names.get(tg, tg)} has no registered target with an address in the snapshot")
        return [Endpoint(e, tuple(sorted(ips))) for e, ips in sorted(out.items())]
