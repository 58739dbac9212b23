"""Resolves query endpoints to ENIs: ENI ids, instance ids, private IPv4 addresses, Name tags
and aliases from ``reason.toml`` (``[aliases] name = "id"``) next to the facts.

Subnet and SG ids, ``internet`` and load balancers name sets or places that this version does
not analyse yet: they are refused with a clear error, never guessed.  Unknown names list the
closest known names.
"""

from __future__ import annotations

import difflib
import ipaddress
import tomllib
from pathlib import Path

from reasoner.errors import FactsError, QueryError


def load_aliases(facts_dir: Path) -> dict[str, str]:
    path = facts_dir / "reason.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise FactsError("facts.bad_toml", f"cannot read {path}: {err}", location=str(path)) from None
    aliases = data.get("aliases", {})
    if not isinstance(aliases, dict) or not all(isinstance(v, str) for v in aliases.values()):
        raise FactsError("facts.bad_toml", "[aliases] must map names to resource ids (strings)", location=str(path))
    return dict(aliases)


class Resolver:
    """Maps endpoint names of one snapshot to (eni, ip)."""

    def __init__(self, relations: dict[str, list[tuple]], names: dict[str, str], aliases: dict[str, str]) -> None:
        self.eni_ips: dict[str, list[int]] = {}
        for eni, ip in relations.get("eni_ip", []):
            self.eni_ips.setdefault(eni, []).append(ip)
        self.enis = {row[0] for row in relations.get("eni", [])}
        self.ip_owner = {ip: eni for eni, ips in self.eni_ips.items() for ip in ips}
        self.instance_enis: dict[str, list[str]] = {}
        for eni, inst in relations.get("eni_attachment", []):
            self.instance_enis.setdefault(inst, []).append(eni)
        self.by_name: dict[str, list[str]] = {}
        for rid, name in names.items():
            self.by_name.setdefault(name, []).append(rid)
        self.aliases = aliases
        self.other = {r[0]: kind for kind in ("subnet", "sg", "vpc") for r in relations.get(kind, [])}

    def known(self) -> list[str]:
        return sorted(set(self.aliases) | self.enis | set(self.instance_enis) | set(self.by_name))

    def resolve(self, name: str) -> tuple[str, int]:
        target = self.aliases.get(name, name)
        if target in self.enis:
            return target, min(self.eni_ips.get(target, [0])) if target in self.eni_ips else self._no_ip(target)
        if target in self.instance_enis:
            eni = sorted(self.instance_enis[target])[0]
            return eni, min(self.eni_ips[eni])
        try:
            ip = int(ipaddress.IPv4Address(target))
        except ValueError:
            ip = None
        if ip is not None:
            if ip in self.ip_owner:
                return self.ip_owner[ip], ip
            raise QueryError("query.unknown_address", f"no network interface in the snapshot has the address {target}",
                             hint="addresses outside the snapshot (e.g. the internet) are not analysed in this version")
        if target in self.by_name:
            ids = sorted(self.by_name[target])
            if len(ids) > 1:
                raise QueryError("query.ambiguous", f"the name {target!r} is carried by several resources: {', '.join(ids)}",
                                 hint="use one id, or an alias in reason.toml")
            return self.resolve(ids[0])
        if target in self.other or target == "internet":
            kind = self.other.get(target, "internet")
            raise QueryError("query.unsupported_endpoint", f"{target} is a {kind}; this version answers ENI-to-ENI questions",
                             hint="name a network interface, instance, private IP, Name tag or alias")
        near = difflib.get_close_matches(name, self.known(), n=5, cutoff=0.5)
        hint = f"did you mean: {', '.join(near)}?" if near else "known names: " + ", ".join(self.known()[:10])
        raise QueryError("query.unknown_name", f"unknown endpoint {name!r}", hint=hint)

    def _no_ip(self, eni: str) -> tuple[str, int]:
        raise QueryError("query.no_address", f"{eni} has no private IPv4 address in the snapshot")
