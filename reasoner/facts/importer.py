"""Import AWS describe-* JSON (Batfish ``aws_configs`` layout) into base relations.

Layout accepted: ``aws_configs/[accounts/][<account>/][<region>/]*.json``.  ``src`` may be the
folder holding ``aws_configs``, ``aws_configs`` itself, or a region folder of ``*.json`` files.
Each JSON file is one describe-* response, recognised by its top-level key(s).  This module walks the
files (facts directories are read and written by :mod:`reasoner.facts.store`); the handlers live per AWS
service, as in Batfish's ``aws`` package: :mod:`reasoner.facts.ec2`, :mod:`reasoner.facts.transit_gateways`,
:mod:`reasoner.facts.elbv2` (load balancers), :mod:`reasoner.facts.ecs`, with the shared per-file state in
:mod:`reasoner.facts.context`.

Handled (top-level key -> relations, see ``rules/00_snapshot.dl``):

* ``Vpcs`` -> ``vpc`` (IPv4 ``CidrBlockAssociationSet``, fallback ``CidrBlock``; associated
  ``Ipv6CidrBlockAssociationSet`` blocks)
* ``Subnets`` -> ``subnet`` (one row per IPv4 and associated IPv6 block)
* ``NetworkInterfaces`` -> ``eni``, ``eni_ip`` (private IPv4, every address of ``Ipv4Prefixes``, and ``Ipv6Addresses``),
  ``eni_ipv6_prefix`` (``Ipv6Prefixes``), ``eni_sg``, ``eni_attachment``
* ``SecurityGroups`` -> ``sg``, ``sg_{ingress,egress}_{cidr,sg,pl}`` (``IpRanges`` and ``Ipv6Ranges``)
* ``NetworkAcls`` -> ``nacl``, ``nacl_entry`` (``CidrBlock`` or ``Ipv6CidrBlock``; plus the
  implicit rule-``*`` deny, 32767, per family when the answer lacks it), ``subnet_nacl``
* ``RouteTables`` -> ``rtb``, ``rtb_subnet``, ``rtb_main``, ``rtb_gateway`` (edge associations), ``route`` (IPv4 and
  IPv6 destinations), ``route_pl``
* ``InternetGateways`` -> ``igw``, ``igw_attachment``; ``EgressOnlyInternetGateways`` -> ``egress_only_igw``,
  ``egress_only_igw_attachment``; ``NatGateways`` -> ``nat_gateway``, ``nat_state``, ``nat_public_ip``
* ``Reservations`` -> ``instance`` (and ``eni*`` for instance ENIs absent from NetworkInterfaces)
* ELBv2 (``LoadBalancers``, listeners, rules, target groups, target health, attributes) and ECS
  (``EcsClusters``, ``EcsServices``, ``EcsTasks``) -> see :mod:`reasoner.facts.elbv2`, :mod:`reasoner.facts.ecs`
* ``PrefixLists`` (``Cidrs``) and ``ManagedPrefixLists`` (with inlined ``Entries[].Cidr`` or ``Cidrs``)
  -> ``prefix_list_cidr``, ``prefix_list_listed``; a managed list's ``State`` -> ``prefix_list_state``
* ``NetworkInterfaces[].Association.PublicIp`` (and per private address), ``Addresses`` (EIPs) -> ``eni_public_ip``
* ``VpcPeeringConnections`` -> ``peering``
* ``VpcEndpoints`` -> ``vpc_endpoint``, ``vpce_route_table``, ``vpce_eni``; prefix-list entries also -> ``prefix_list_entry``
  (with their length, for routes to prefix lists); propagated routes also -> ``route_propagated``
* Transit gateways (``rules/02_transit_gateway_snapshot.dl``): ``TransitGateways`` -> ``tgw``, ``tgw_option``;
  ``TransitGatewayAttachments`` -> ``tgw_attachment`` (+ ``tgw_association`` from ``Association``);
  ``TransitGatewayVpcAttachments`` -> ``tgw_vpc_attachment``, ``tgw_attachment_subnet``, ``tgw_attachment_option``;
  ``TransitGatewayRouteTables`` -> ``tgw_rtb``; and, per route table (wrapped
  ``[{TransitGatewayRouteTableId, <list>}]`` or plain items naming their table):
  ``TransitGatewayRouteTableAssociations`` -> ``tgw_association``, ``tgw_associations_listed``,
  ``TransitGatewayPropagations`` -> ``tgw_propagation``, ``tgw_propagations_listed``, ``TransitGatewayStaticRoutes`` / ``TransitGatewayPropagatedRoutes`` -> ``tgw_route``,
  ``tgw_route_pl``, ``tgw_routes_collected``
* every key handled -> ``snapshot_has`` (unless `reason collect` recorded its call as refused);
* ``Tags``/``TagSet`` ``Name`` -> ``names`` (``LoadBalancerName`` for load balancers)

Not handled: IPv6 load balancer node addresses and IPv6 targets of target groups (skipped and counted in
``manifest["skipped_ipv6"]``; every answer on such a snapshot warns that it does not cover their addresses:
reasoner/session.py), classic ELBs, VPN, Direct Connect, RDS,
Elasticsearch: their top-level keys are listed in ``manifest["unmodelled"]``.  Instances without a
``SubnetId`` (stopped/terminated) produce no ``instance`` row.  A NAT gateway with no private
address gets ``private_ip`` 0.

Encoding: ids are strings; addresses are ints on one line for both families (reasoner/addresses.py); a CIDR is an inclusive ``[lo, hi]`` int range
(``route`` also keeps its prefix length); protocols are IANA numbers as strings (``"-1"`` = all).
Every relation is a sorted, de-duplicated list of tuples.  Malformed input raises
:class:`reasoner.errors.FactsError` (``facts.bad_json``, ``facts.missing_field``,
``facts.bad_value``, ``facts.not_found``, ``facts.truncated``: one page of a paginated answer,
``facts.conflict``: a resource described twice, differently, reasoner/facts/conflicts.py); no ``KeyError``/``TypeError``
escapes.
"""

from __future__ import annotations

import re

import json
import os
import shlex
import time
from pathlib import Path
from typing import Any, Callable

from reasoner.errors import FactsError
from reasoner.facts import ec2, ecs, elbv2, network_interfaces, route_tables, surrogates, transit_gateways
from reasoner.facts.conflicts import Described
from reasoner.facts.context import PAGE_TOKENS, Acc, Ctx
# the facts directory format and its reader and writer (re-exported: callers import them from here)
from reasoner.facts.store import (SCHEMA_VERSION, Snapshot, read_facts, replace_directory, unreadable,  # noqa: F401
                                  write_facts)

#: Every relation the importer produces, in a fixed order (all are present, possibly empty).
RELATIONS: tuple[str, ...] = (
    "vpc", "subnet", "subnet_az_id", "subnet_zone_named_by", "ipv6_private_block", "eni", "eni_ip", "eni_ipv6_prefix", "eni_public_ip", "peering", "eni_sg", "eni_attachment", "sg",
    "sg_ingress_cidr", "sg_egress_cidr", "sg_ingress_sg", "sg_egress_sg", "sg_ingress_pl", "sg_egress_pl",
    "prefix_list_cidr", "prefix_list_entry", "prefix_list_listed", "prefix_list_state", "vpc_endpoint", "vpce_route_table", "vpce_eni", "route_propagated",
    "nacl", "nacl_entry", "subnet_nacl",
    "rtb", "rtb_subnet", "rtb_main", "rtb_gateway", "rtb_association_changing", "route", "route_pl",
    "igw", "igw_attachment", "igw_attachment_changing", "nat_gateway", "nat_state", "nat_public_ip", "instance",
    "tgw", "tgw_option", "tgw_attachment", "tgw_vpc_attachment", "tgw_attachment_subnet", "tgw_attachment_option", "tgw_rtb",
    "tgw_association", "tgw_propagation", "tgw_route", "tgw_route_pl", "tgw_routes_collected",
    "tgw_associations_listed", "tgw_propagations_listed",
    "snapshot_has", "tag", "egress_only_igw", "egress_only_igw_attachment", "egress_only_igw_attachment_changing", "bpa", "eni_deny_igw", "eni_detached",
    "eni_unsettled", "eni_interface_type",
    *elbv2.RELATIONS,  # load balancers and target groups: reasoner/facts/elbv2.py
    *ecs.RELATIONS,  # ECS clusters, services, tasks: reasoner/facts/ecs.py
)

#: Top-level keys that carry no resources (SDK metadata, the page token of a last page): neither modelled nor reported.
#: A page token that is set refuses the file (``Ctx.whole``).
_IGNORED_KEYS = frozenset({"ResponseMetadata", *PAGE_TOKENS})
#: keys the AWS CLI prints for answers read under another key: `aws elbv2 describe-listeners` prints {"Listeners": [...]},
#: each listener naming its LoadBalancerArn (the plain form of LoadBalancerListeners). Other per-parent answers the CLI
#: prints (describe-rules "Rules", describe-target-health "TargetHealthDescriptions") do not name their parent and
#: stay unread (listed as unmodelled, warned about on every answer).
_KEY_ALIASES = {"Listeners": "LoadBalancerListeners"}
#: how to save the per-parent answers the AWS CLI prints without their parent, so that they are read (the key of
#: each such answer, as the CLI prints it -> what to do); ``reason collect`` saves them so itself
PARENTLESS = {
    "Rules": 'aws elbv2 describe-rules does not name its listener: save it as {"LoadBalancerListenerRules": '
             '[{"ListenerArn": ARN, "Rules": [...]}]}',
    "TargetHealthDescriptions": 'aws elbv2 describe-target-health does not name its target group: save it as '
                                '{"LoadBalancerTargetHealth": [{"TargetGroupArn": ARN, "TargetHealthDescriptions": [...]}]}',
    "Entries": 'aws ec2 get-managed-prefix-list-entries does not name its prefix list: put its Entries in the list\'s '
               'item of describe-managed-prefix-lists ({"ManagedPrefixLists": [{"PrefixListId": ID, ..., "Entries": [...]}]})',
}


_HANDLERS: dict[str, Callable[[Ctx, list[tuple[str, Any]]], None]] = {
    "Vpcs": ec2.vpcs,
    "Subnets": ec2.subnets,
    "NetworkInterfaces": elbv2.chain(network_interfaces.network_interfaces, elbv2.lb_enis),
    "SecurityGroups": ec2.security_groups,
    "NetworkAcls": ec2.network_acls,
    "RouteTables": route_tables.route_tables,
    "InternetGateways": ec2.internet_gateways,
    "EgressOnlyInternetGateways": ec2.egress_only_internet_gateways,
    "NatGateways": ec2.nat_gateways,
    "Reservations": elbv2.chain(network_interfaces.reservations, elbv2.instance_ips),
    **elbv2.HANDLERS,
    **ecs.HANDLERS,
    "PrefixLists": ec2.prefix_lists,
    "Addresses": network_interfaces.addresses,
    "VpcEndpoints": ec2.vpc_endpoints,
    "VpcPeeringConnections": ec2.peerings,
    "ManagedPrefixLists": ec2.prefix_lists,
    **transit_gateways.HANDLERS,
}


# -- the walk ---------------------------------------------------------------------------------


def _find_root(src: Path) -> tuple[Path, str | None]:
    """The ``aws_configs`` root to walk, and the region name when ``src`` is a region folder."""
    src = Path(src)
    if not src.is_dir():
        raise FactsError("facts.not_found", f"no such folder: {src}", location=str(src),
                         hint="give the folder that contains aws_configs/, or a facts directory")
    if src.name == "aws_configs":
        return src, None
    if (src / "aws_configs").is_dir():
        return src / "aws_configs", None
    if (src / "manifest.json").is_file() and any(src.glob("*.jsonl")):  # reason's own output, not AWS JSON
        origin = _facts_source(src / "manifest.json")
        raise FactsError("facts.already_facts", f"{src} is already a facts directory (written by `reason import` or "
                         "`reason collect`: manifest.json and *.jsonl relations), not AWS describe-* JSON",
                         location=str(src),
                         hint=f"use it as it is: reason query --facts {shlex.quote(str(src))} \"SRC -> DST tcp PORT\""
                              + ("; to import again, give the folder it was imported from: "
                                 f"reason import {shlex.quote(str(origin))} --out DIR"
                                 if origin else ""))
    if any(src.glob("*.json")):
        return src, src.name
    raise FactsError("facts.not_found", f"{src} holds neither aws_configs/ nor describe-* JSON files",
                     location=str(src), hint="expected <src>/aws_configs/[<account>/]<region>/*.json")


def _facts_source(manifest: Path) -> str | None:
    """The folder a facts directory was imported from (its manifest's ``source``), if that folder still exists."""
    try:
        source = json.loads(manifest.read_text(encoding="utf-8")).get("source")
    except (OSError, ValueError, AttributeError):
        return None
    return source if isinstance(source, str) and source and Path(source).is_dir() else None


def _load_json(path: Path) -> Any:
    """One describe answer: UTF-8 text (a byte order mark allowed), or UTF-16 or UTF-32, as Windows PowerShell 5's
    ``aws ... > Vpcs.json`` writes it: JSON text starts with an ASCII character, so its first bytes say which
    (RFC 4627 section 3; ``json.detect_encoding``)."""
    encoding = "utf-8"
    try:
        data = path.read_bytes()
        encoding = json.detect_encoding(data)
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FactsError("facts.bad_json", f"not {encoding.upper().removesuffix('-SIG')} text: {exc.reason}", location=f"{path}:1:1",
                         hint="save the describe answer as UTF-8 (PowerShell: aws ... | Out-File -Encoding utf8 FILE)") from None
    except OSError as exc:
        raise FactsError("facts.not_found", f"cannot read file: {exc.strerror}", location=str(path)) from None
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise FactsError("facts.bad_json", f"malformed JSON: {exc.msg}",
                         location=f"{path}:{exc.lineno}:{exc.colno}",
                         hint="each file must be one describe-* API response (a JSON object)") from None
    except _DuplicateKey as dup:
        raise FactsError("facts.bad_json", f"the key {dup.key!r} appears twice in one object{dup.where}: which one "
                         "counts depends on the JSON reader (Python's keeps the last, and would drop the first unseen)",
                         location=str(path), hint="keep one of them; an AWS answer never repeats a key") from None
    except (RecursionError, ValueError) as exc:  # nested too deep; an integer of thousands of digits
        raise FactsError("facts.bad_json", f"cannot read this JSON: {unreadable(exc)}",
                         location=str(path), hint="each file must be one describe-* API response (a JSON object)") from None
    where = surrogates.lone_surrogate_path(text, value)
    if where is not None:
        raise FactsError("facts.bad_json", f"a string {surrogates.MESSAGE}", location=f"{path}:{where}",
                         hint=surrogates.HINT)
    return value


class _DuplicateKey(ValueError):
    def __init__(self, key: str, where: str) -> None:
        super().__init__(key)
        self.key, self.where = key, where


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members as a dict; a name given twice is refused (RFC 8259 section 4: "the names within an
    object SHOULD be unique", and readers differ on duplicates), never one of them dropped unseen."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                break
            seen.add(key)
        named = next((f" ({k} {v})" for k, v in pairs if isinstance(v, str) and k.endswith(("Id", "Arn"))), "")
        raise _DuplicateKey(key, named)
    return out


def import_aws_configs(src: Path, require_answers: bool = False) -> Snapshot:
    """Import every describe-* JSON file under ``src`` into a :class:`Snapshot`.  With ``require_answers``
    (`reason import`, ``--facts`` of a raw folder), a folder holding no describe-* answer at all is a FactsError
    (``facts.no_answers``) rather than an empty snapshot; `reason collect` imports what it got, even nothing."""
    root, fixed_region = _find_root(Path(src))
    acc = Acc(RELATIONS)
    accounts: set[str] = set()
    regions: set[str] = set()
    unmodelled: list[dict[str, str]] = []
    held: set[str] = set()  # describe-* keys present in some file
    described = Described()
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() == ".json")
    for path in files:
        rel = path.relative_to(root)
        parts = [x for x in rel.parts[:-1]]
        if parts and parts[0] == "accounts":
            parts = parts[1:]
        _check_layout(path, rel, parts, fixed_region)
        if fixed_region:
            regions.add(fixed_region)
        elif parts:
            regions.add(parts[-1])
            if len(parts) >= 2:
                accounts.add(parts[-2])
        data = _load_json(path)
        ctx = Ctx(acc, str(path), parts[-2] if not fixed_region and len(parts) >= 2 else "")
        if not isinstance(data, dict):
            raise ctx.err("facts.bad_value", "top level must be a JSON object (one describe-* response)", "$")
        ctx.whole(data, "$")
        for key in sorted(data):
            if key in _IGNORED_KEYS:
                continue
            name = _KEY_ALIASES.get(key, key)  # (the key the AWS CLI prints, for an answer stored under another)
            handler = _HANDLERS.get(name)
            if handler is None:
                unmodelled.append({"file": rel.as_posix(), "key": key})
                continue
            described.check(path, name, data[key])  # (a resource described twice, differently: refused)
            _guarded(ctx, f"$.{key}", lambda h=handler, k=key: h(ctx, ctx.items(data, k, "$")))
            held.add(name)
    for ctx, ep, e, iid in acc.instance_enis:
        eni = e.get("NetworkInterfaceId")
        if isinstance(eni, str) and eni in acc.enis:
            ctx.add("eni_attachment", eni, iid)
            # listed under an instance (DescribeInstances): attached, though its NetworkInterfaces answer gave neither
            # Status nor Attachment (network_interfaces.eni's eni_status_missing row is for an interface nothing says
            # is attached)
            acc.rels["eni_unsettled"].discard((eni, "", ""))
            continue
        _guarded(ctx, ep, lambda c=ctx, p=ep, x=e, i=iid: network_interfaces.eni(c, p, x, i))
    if require_answers and not held:
        _no_answers(Path(src), root, files, unmodelled)
    elbv2.finish(acc)  # needs every file: LB ENIs, instance target IPs

    incomplete = _collect_incomplete(root)
    refused = {key for item in incomplete or [] for key in _keys_of_operation(str(item.get("operation", "")))}
    acc.rels["snapshot_has"] = {(key,) for key in held - refused}
    relations = {r: sorted(rows) for r, rows in acc.rels.items()}
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "source": str(Path(src).resolve()),
        "accounts": sorted(accounts),
        "regions": sorted(regions),
        "files": len(files),
        "counts": {r: len(rows) for r, rows in relations.items()},
        "skipped_ipv6": acc.skipped_ipv6,
        "unmodelled": sorted(unmodelled, key=lambda u: (u["file"], u["key"])),
    }
    if incomplete is not None:
        manifest["incomplete"] = incomplete
    return Snapshot(relations=relations, names=dict(sorted(acc.names.items())), manifest=manifest)


def _no_answers(src: Path, root: Path, files: list[Path], unmodelled: list[dict[str, str]]) -> None:
    """Raises the error for a folder with no describe-* answer: no JSON file, or none with a key `reason` reads."""
    if not files:
        message = f"no describe-* answer to import: {root} holds no JSON file"
    else:
        keys = sorted({u["key"] for u in unmodelled})
        listed = ", ".join(repr(k) for k in keys[:5]) + (", ..." if len(keys) > 5 else "")
        message = (f"no describe-* answer to import: {len(files)} JSON file(s) under {root}, none with a key reason reads"
                   + (f" (found {listed})" if keys else ""))
    raise FactsError("facts.no_answers", message, location=str(src),
                     hint="expected <src>/aws_configs/[<account>/]<region>/<Key>.json, each {\"<Key>\": [...]} as "
                          "`aws ec2 describe-vpcs` etc. print it (Vpcs, Subnets, NetworkInterfaces, SecurityGroups, ...); "
                          "`reason collect` writes such a folder")


#: Written by `reason collect` next to ``aws_configs/``: its ``incomplete`` calls go into the manifest
#: (each one becomes a warning on every query of the snapshot).
COLLECT_METADATA = "reason-collect.json"


#: describe-* keys whose API operation name is not ``Describe<Key>`` (reasoner/collect/calls.py spells the calls).
_OPERATION_KEYS: dict[str, tuple[str, ...]] = {
    "DescribeManagedPrefixLists": ("PrefixLists",), "GetManagedPrefixListEntries": ("PrefixLists",),
    "DescribeInstances": ("Reservations",), "GetTransitGatewayRouteTablePropagations": ("TransitGatewayPropagations",),
    "GetTransitGatewayRouteTableAssociations": ("TransitGatewayRouteTableAssociations",),
    "SearchTransitGatewayRoutes": ("TransitGatewayStaticRoutes", "TransitGatewayPropagatedRoutes"),
    "DescribeLoadBalancerAttributes": ("LoadBalancerAttributes",), "DescribeListeners": ("LoadBalancerListeners",),
    "DescribeRules": ("LoadBalancerListenerRules",), "DescribeTargetGroupAttributes": ("TargetGroupAttributes",),
    "DescribeTargetHealth": ("LoadBalancerTargetHealth",), "ListClusters": ("EcsClusters",), "DescribeClusters": ("EcsClusters",),
    "ListTasks": ("EcsTasks",), "DescribeTasks": ("EcsTasks",), "ListServices": ("EcsServices",), "DescribeServices": ("EcsServices",),
}


def _keys_of_operation(operation: str) -> tuple[str, ...]:
    """The describe-* keys a refused collect call leaves incomplete (``DescribeNatGateways`` -> ``NatGateways``)."""
    return _OPERATION_KEYS.get(operation, (operation.removeprefix("Describe"),))


#: An AWS Region's name (us-east-1, us-gov-west-1, cn-northwest-1, ap-southeast-3, il-central-1, us-isob-east-1).
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")


def _check_layout(path: Path, rel: Path, parts: list[str], fixed_region: str | None) -> None:
    """A file must sit where the layout puts one answer of one account and Region: ``aws_configs/[accounts/]
    [<account id>/][<region>/]<Key>.json``.  A file elsewhere (an older copy in a dated or "old" folder, answers sorted
    into per-service folders) would be joined with the current answers as another account's or Region's, and a rule
    since removed would still allow: refused, naming the file.  An extension spelled otherwise (``.JSON``) is refused
    too, never skipped unseen."""
    if path.suffix != ".json":
        raise FactsError("facts.layout", f"{rel} is named {path.suffix}: answers are read from files named *.json",
                         location=str(path), hint=f"rename it {path.stem}.json")
    if fixed_region:
        if parts:
            raise FactsError("facts.layout", f"{rel} is in a folder inside the region folder", location=str(path),
                             hint="keep one answer per key in the region folder; move older copies out of it")
        return
    wrong = (len(parts) > 2 or (len(parts) == 2 and not parts[0].isdigit())
             or (parts and not _REGION.fullmatch(parts[-1])))
    if wrong:
        raise FactsError("facts.layout", f"{rel} is not under aws_configs/[<account id>/]<region>/ ('{'/'.join(parts)}' "
                         "is not an account id and a Region)", location=str(path),
                         hint="an older copy or another snapshot would be joined with this one: move it out of aws_configs/")


def _collect_incomplete(root: Path) -> list[dict[str, Any]] | None:
    """The ``incomplete`` list of ``reason-collect.json`` beside ``aws_configs/``; None without that file."""
    path = root.parent / COLLECT_METADATA
    if root.name != "aws_configs" or not path.is_file():
        return None
    data = _load_json(path)
    items = data.get("incomplete", []) if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise FactsError("facts.bad_value", "'incomplete' must be a list of objects", location=f"{path}:$.incomplete")
    return items


def _guarded(ctx: Ctx, path: str, fn: Callable[[], None]) -> None:
    """Run a handler; any stray Python error becomes a FactsError located at ``path``."""
    try:
        fn()
    except FactsError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ctx.err("facts.bad_value", f"unexpected shape ({type(exc).__name__}: {exc})", path) from None


# -- facts directories ------------------------------------------------------------------------


#: How long a reader waits for another process's swap of the folder to finish (seconds).
SWAP_WAIT = 10.0


def load_snapshot(path: Path) -> Snapshot:
    """A facts directory (has ``manifest.json``) or a raw folder with ``aws_configs/`` (imported now).

    Concurrent replacement (`reason import` or `collect` swapping the folder while we read): a writer moves
    the old folder aside and renames the new one in (:func:`replace_directory`), so for an instant the
    folder is absent, and a reader that started on the old folder may find a file gone or files of both
    versions (content hash mismatch).  Such a read is simply done again: once right away, and then for as
    long as a live writer's staging folder sits next to ``path`` (:func:`reasoner.facts.folders.swap_in_progress`,
    at most :data:`SWAP_WAIT` s).  Every read returns one whole version, old or new, never a missing one.
    """
    from reasoner.facts.folders import swap_in_progress

    path = Path(path)
    deadline = time.monotonic() + SWAP_WAIT
    attempt = 0
    while True:
        before = _identity(path)
        try:
            return _load_snapshot_once(path)
        except FactsError as exc:
            attempt += 1
            retry = exc.code in ("facts.not_found", "facts.corrupt")
            swapped = _identity(path) != before  # the folder was replaced while this read ran: read again
            if not retry or time.monotonic() > deadline or (attempt > 2 and not swapped and not swap_in_progress(path)):
                raise
            time.sleep(min(0.002 * attempt, 0.05))


def _identity(path: Path) -> tuple[int, int] | None:
    """The folder's (device, inode): a replacement by :func:`replace_directory` changes it; None when absent."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _load_snapshot_once(path: Path) -> Snapshot:
    if (path / "manifest.json").is_file():
        return read_facts(path)
    if path.is_dir() and ((path / "aws_configs").is_dir() or path.name == "aws_configs"):
        return import_aws_configs(path, require_answers=True)
    raise FactsError("facts.not_found", f"{path} is neither a facts directory nor a folder with aws_configs/",
                     location=str(path),
                     hint="pass a directory written by `reason import` (manifest.json) or one containing aws_configs/")
