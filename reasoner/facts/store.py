"""Facts directories: a snapshot's base relations on disk, written atomically and read back checked.

A facts directory holds ``<relation>.jsonl`` (one JSON row per line, sorted), ``names.json`` (display names) and
``manifest.json`` (where the snapshot came from, its schema version, counts and a sha256 content hash over every
relation file, the names and the recorded incomplete calls).  ``write_facts`` stages the files next to the target
and swaps them in by renames (``replace_directory``); ``read_facts`` checks the schema version, the hash, each
file's JSON and each row's shape, and names the file and line of anything wrong (:class:`reasoner.errors.FactsError`).
Importing AWS JSON into relations is :mod:`reasoner.facts.importer`, which also reads either kind of folder
(``load_snapshot``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import operator
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasoner.errors import FactsError
from reasoner.facts import surrogates
from reasoner.facts.context import Row

SCHEMA_VERSION = 22  # 2: igw, snapshot_has; 3: tag; 4: the content hash covers names.json and incomplete;
#                     5: IPv6 (eni_ip, vpc, subnet, SG, NACL, route rows; egress-only gateways), eni_ipv6 gone;
#                     6: tg_targets_listed (which target groups' target-health answers the snapshot holds);
#                     7: lb_listeners_listed (which load balancers' DescribeListeners answers the snapshot holds);
#                     8: listener_rules_listed (which listeners' DescribeRules answers the snapshot holds);
#                     9: ICMP/ICMPv6 rules and entries keep their type and code (port_lo..port_hi = type*256+code);
#                     10: vpce_eni (the network interfaces of interface and Gateway Load Balancer endpoints);
#                     11: rtb_gateway (a route table's edge association with an internet or virtual private gateway),
#                         eni_ipv6_prefix (IPv6 prefixes delegated to ENIs; IPv4 prefixes are eni_ip rows);
#                     12: tgw_option (a transit gateway's SecurityGroupReferencingSupport);
#                     13: tg_attributes_listed (which target groups' DescribeTargetGroupAttributes answers it holds),
#                         tgw_associations_listed, tgw_propagations_listed (which transit gateway route tables'
#                         association and propagation answers it holds)
#                     14: bpa (VPC Block Public Access), eni_deny_igw, eni_detached; peering same_region 2 (not
#                         given); import refuses a subnet with two network ACLs or route tables, a VPC with two main
#                         tables, two NACL entries of one number and direction (older snapshots may hold them)
#                     15: the content hash covers the whole manifest; subnet_az_id (Availability Zone IDs), ipv6_private_block, igw_attachment_changing (an internet
#                         gateway's attachment read by its State); import refuses an attachment given two route tables,
#                         states, VPCs or transit gateways, and an IPv6 prefix delegated to an ENI that is not a /80
#                     16: rtb_association_changing (a route table association caught associating or disassociating;
#                         a disassociating one was read as gone, an associating one as in effect)
#                     17: a network ACL entry of protocol 58 (ICMPv6) with an IPv4 CIDR covers every message (its type
#                         and code were read; CreateNetworkAclEntry: "traffic for all ICMP types and codes allowed")
#                     18: listener rule conditions given as RegexValues ("~REGEX"; they were dropped, and a
#                         source-ip + regex rule read as source-ip only), elb_transport of QUIC and TCP_QUIC;
#                         egress_only_igw_attachment_changing (an egress-only gateway caught attaching or detaching
#                         was left out: a certain BAD_STATE)
#                     19: prefix_list_listed (a prefix list whose entries the snapshot gives, none perhaps: an empty
#                         list read as "entries not collected"); import refuses a peering connection without Status
#                         and an IP protocol number outside 0-255
#                     20: eni_interface_type (an ENI's InterfaceType when not "interface": an endpoint's network
#                         interface that no endpoint of the snapshot lists read as an ordinary ENI)
#                         prefix_list_state (a managed prefix list's State: one caught changing or failed was read as
#                         settled, API_ManagedPrefixList); import refuses a route naming two targets and a VPC
#                         endpoint State that is null or not a string
#                         tg_target_subnet (a target's zone only another account names: matched by zone ID); a target's
#                         zone is the target group's account's name for its subnet, never another account's
#                     21: eni_unsettled (an interface caught attaching or detaching, Status associated, or a Status and
#                         Attachment.Status that contradict each other: it was read as attached, API_NetworkInterface)
#                         subnet_zone_named_by (which account gives a subnet's zone name: a transit gateway compared
#                         zone names across accounts, which map names to zones each their own way, az-ids.html)
#                     22: eni_unsettled rows (eni, "", "") for an interface given neither Status nor Attachment and
#                         listed under no instance (it was read as attached; the API always gives Status,
#                         API_NetworkInterface): a snapshot imported before lacks them


@dataclass
class Snapshot:
    """Base relations of one snapshot, the Name tags, and a manifest describing where they came from."""

    relations: dict[str, list[Row]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)


def _hash_relations(contents: dict[str, bytes], names: bytes, manifest: dict[str, Any]) -> str:
    """sha256 over every relation file, ``names.json`` and the whole manifest but its ``content_hash``: editing any
    of them (redirecting a Name tag, hiding a warning: ``incomplete``, ``unmodelled``, ``skipped_ipv6``) is detected."""
    h = hashlib.sha256()
    for name in sorted(contents):
        h.update(name.encode() + b"\0" + contents[name] + b"\0")
    h.update(b"names.json\0" + names + b"\0")
    rest = {k: v for k, v in manifest.items() if k != "content_hash"}
    h.update(b"manifest\0" + json.dumps(rest, sort_keys=True, separators=(",", ":")).encode() + b"\0")
    return h.hexdigest()


def _row_key(row: Row) -> list[tuple[bool, Any]]:
    """A sort key for rows whose columns may mix strings and integers (a hand-edited file): never a TypeError."""
    return [(isinstance(v, str), v) for v in row]


def _ordered(rows: list[Row]) -> list[Row]:
    """``sorted(set(rows), key=_row_key)``, faster for the usual file: one written by ``write_facts`` (sorted,
    no duplicate, every column of one type).  Such rows are returned as they are once a linear scan finds them
    strictly increasing; others are sorted by plain tuple comparison.  Either way the order is ``_row_key``'s:
    a comparison that succeeds compares values of one type at the first column where two rows differ, where
    ``_row_key`` orders them the same way, and a correct sort compares every pair of rows it leaves adjacent.
    A column mixing strings and integers raises TypeError at such a pair, and falls back to ``_row_key``.  At
    20k ENIs this reads a snapshot in 0.06 s instead of 0.2 s."""
    try:
        if all(map(operator.lt, rows, itertools.islice(rows, 1, None))):
            return rows
        return sorted(set(rows))
    except TypeError:
        return sorted(set(rows), key=_row_key)


def _encode(rows: list[Row]) -> bytes:
    lines = [json.dumps(list(row), separators=(",", ":"), ensure_ascii=False) for row in sorted(rows, key=_row_key)]
    return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")


def _encode_names(names: dict[str, str]) -> bytes:
    return (json.dumps(dict(sorted(names.items())), indent=1) + "\n").encode("utf-8")


def replace_directory(staging: Path, out: Path) -> None:
    """Puts the fully written folder ``staging`` in place of ``out`` by renames, so no reader ever sees a
    half-written one; if the final rename fails, the previous ``out`` is put back.  Between the two renames
    ``out`` is absent; the old folder's name (``.<out>.old-<pid>-*``) tells readers a swap is in progress
    (see :func:`load_snapshot`) and lets :func:`reasoner.facts.folders.sweep` put it back after a crash."""
    from reasoner.facts.folders import staging_dir

    old = None
    if out.exists():
        old = staging_dir(out, "old")
        os.rename(out, old / "v")
    try:
        os.rename(staging, out)
    except BaseException:
        if old is not None:
            os.rename(old / "v", out)
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_facts(snapshot: Snapshot, out_dir: Path, aliases: Path | None = None) -> Path:
    """Write ``<relation>.jsonl``, ``names.json`` and ``manifest.json`` atomically into ``out_dir``.

    Files are written into a staging sibling directory which then replaces ``out_dir``.  ``out_dir`` must be
    absent, empty, or a facts directory written by `reason` (:func:`reasoner.facts.folders.refusal`); its
    ``reason.toml`` (aliases) is carried over, else ``aliases`` (the imported folder's ``reason.toml``) is copied
    when it is a file.  Staging folders of killed runs are swept first.
    """
    from reasoner.facts import folders

    out_dir = Path(out_dir)
    why = folders.refusal(out_dir, "facts")
    if why is not None:
        raise FactsError("facts.out_refused", f"refusing to replace it: {why}", location=str(out_dir),
                         hint="choose a new or empty folder with --out, or a facts directory written by `reason import`")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        folders.sweep(out_dir)
        tmp = folders.staging_dir(out_dir, "facts")
    except OSError as exc:
        raise FactsError("facts.out_unwritable", f"cannot create the facts directory: {exc.strerror or exc}",
                         location=str(out_dir), hint="choose a folder you can write with --out") from None
    contents = {f"{r}.jsonl": _encode(rows) for r, rows in snapshot.relations.items()}
    names = _encode_names(snapshot.names)
    manifest = dict(snapshot.manifest)
    manifest["schema_version"] = SCHEMA_VERSION
    manifest["written_by"] = folders.WRITTEN_BY
    manifest["counts"] = {r: len(rows) for r, rows in sorted(snapshot.relations.items())}
    manifest["content_hash"] = "sha256:" + _hash_relations(contents, names, manifest)
    try:
        for name, data in contents.items():
            (tmp / name).write_bytes(data)
        (tmp / "names.json").write_bytes(names)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n",
                                           encoding="utf-8")
        folders.carry_aliases(out_dir, tmp)
        if aliases is not None and aliases.is_file() and not (tmp / folders.ALIASES).exists():
            shutil.copyfile(aliases, tmp / folders.ALIASES)
        replace_directory(tmp, out_dir)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise FactsError("facts.out_unwritable", f"cannot write the facts directory: {exc.strerror or exc}",
                         location=str(out_dir)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _read_bytes(path: Path) -> bytes:
    """A file's bytes; a directory, a symlink loop or an unreadable file is a FactsError naming it."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FactsError("facts.not_found", "file vanished or is a dangling link", location=str(path),
                         hint="re-import the snapshot") from None
    except OSError as exc:
        raise FactsError("facts.unreadable", f"cannot read: {exc.strerror or exc}", location=str(path),
                         hint="each <relation>.jsonl must be a regular file") from None


def unreadable(exc: BaseException) -> str:
    """Why ``json.loads`` could not read a text that is valid JSON in form: nested deeper than Python recurses, or an
    integer of more digits than it converts (RecursionError, ValueError)."""
    return "nested too deep" if isinstance(exc, RecursionError) else str(exc)


def _json_object(path: Path) -> dict[str, Any]:
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8")
        value = json.loads(text)
    except UnicodeDecodeError as exc:
        raise FactsError("facts.bad_json", f"not UTF-8 text: {exc.reason}", location=f"{path}:1:1") from None
    except json.JSONDecodeError as exc:
        raise FactsError("facts.bad_json", f"malformed JSON: {exc.msg}", location=f"{path}:{exc.lineno}:{exc.colno}") from None
    except (RecursionError, ValueError) as exc:  # nested too deep; an integer of thousands of digits
        raise FactsError("facts.bad_json", f"cannot read this JSON: {unreadable(exc)}",
                         location=str(path)) from None
    if not isinstance(value, dict):
        raise FactsError("facts.bad_value", "must be a JSON object", location=str(path))
    where = surrogates.lone_surrogate_path(text, value)
    if where is not None:
        raise FactsError("facts.bad_json", f"a string {surrogates.MESSAGE}", location=f"{path}:{where}",
                         hint=f"{surrogates.HINT}, and re-import the snapshot")
    return value


def _parse_rows(path: Path, data: bytes) -> list[Row]:
    """The rows of one ``<relation>.jsonl``: one JSON array of strings and integers per line; anything else is a
    FactsError at file:line."""
    lone = surrogates.lone_surrogate_line(data)
    if lone is not None:
        raise FactsError("facts.bad_json", f"row {lone}: a string {surrogates.MESSAGE}", location=f"{path}:{lone}:1",
                         hint=f"{surrogates.HINT}, and re-import the snapshot")
    try:  # fast path: the whole file as one JSON array of arrays
        # (lines joined by replacing their ends: a blank line inside the file leaves ",," and takes the slow path)
        fast = json.loads(b"[" + data.strip().replace(b"\n", b",") + b"]")
        # each row a list, each value a string or an integer (exact types), checked by C loops over the types
        if set(map(type, fast)) <= {list} and set(map(type, itertools.chain.from_iterable(fast))) <= {str, int}:
            return _ordered(list(map(tuple, fast)))
    except (ValueError, RecursionError):  # (JSONDecodeError and UnicodeDecodeError are ValueErrors)
        pass  # find and report the bad line below
    rows: list[Row] = []
    for lineno, raw in enumerate(data.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise FactsError("facts.bad_json", f"row is not UTF-8 text: {exc.reason}", location=f"{path}:{lineno}:1") from None
        except json.JSONDecodeError as exc:
            raise FactsError("facts.bad_json", f"malformed JSON: {exc.msg}",
                             location=f"{path}:{lineno}:{exc.colno}") from None
        except (RecursionError, ValueError) as exc:  # nested too deep; an integer of thousands of digits
            raise FactsError("facts.bad_json", f"cannot read this row: {unreadable(exc)}",
                             location=f"{path}:{lineno}:1") from None
        if not isinstance(value, list):
            raise FactsError("facts.bad_value", "each line must be a JSON array", location=f"{path}:{lineno}:1")
        bad = next((x for x in value if not (type(x) is str or type(x) is int)), None)
        if bad is not None or any(type(x) is not str and type(x) is not int for x in value):
            raise FactsError("facts.bad_value", f"row {lineno}: values must be strings or integers, found "
                             f"{type(bad).__name__} {json.dumps(bad)[:60]}", location=f"{path}:{lineno}:1",
                             hint="re-import the snapshot, or fix the row")
        rows.append(tuple(value))
    return _ordered(rows)


def read_facts(directory: Path) -> Snapshot:
    """Read a directory written by :func:`write_facts`, checking its content hash (relations, names.json and
    the manifest's ``incomplete`` list).  Every problem is a FactsError naming the file (and row)."""
    directory = Path(directory)
    mpath = directory / "manifest.json"
    if not mpath.is_file():
        raise FactsError("facts.not_found", f"{directory} is not a facts directory (no manifest.json)",
                         location=str(directory), hint="write one with write_facts, or pass an aws_configs folder")
    manifest = _json_object(mpath)
    if manifest.get("schema_version") != SCHEMA_VERSION or not str(manifest.get("content_hash", "")).startswith("sha256:"):
        raise FactsError("facts.bad_manifest",
                         f"manifest.json has schema_version {manifest.get('schema_version')!r} and content_hash "
                         f"{manifest.get('content_hash')!r}; this reason reads schema {SCHEMA_VERSION} with a sha256 hash",
                         location=str(mpath), hint="re-import the snapshot: reason import SRC --out DIR")
    npath = directory / "names.json"
    names_bytes = _read_bytes(npath) if npath.exists() or npath.is_symlink() else b""
    names = _json_object(npath) if names_bytes else {}
    if not all(isinstance(v, str) for v in names.values()):
        raise FactsError("facts.bad_value", "names.json must map resource ids to names (strings)", location=str(npath))
    incomplete = manifest.get("incomplete")
    if incomplete is not None and not (isinstance(incomplete, list) and all(isinstance(i, dict) for i in incomplete)):
        raise FactsError("facts.bad_manifest", "'incomplete' must be a list of objects", location=f"{mpath}:$.incomplete")
    relations: dict[str, list[Row]] = {}
    contents: dict[str, bytes] = {}
    try:
        files = sorted(directory.glob("*.jsonl"))
    except OSError as exc:  # the folder went away while listing it (a concurrent swap)
        raise FactsError("facts.not_found", f"cannot list the facts directory: {exc.strerror or exc}",
                         location=str(directory)) from None
    for path in files:
        data = _read_bytes(path)
        contents[path.name] = data
        relations[path.name[: -len(".jsonl")]] = _parse_rows(path, data)
    expected = manifest.get("content_hash")
    try:
        now = "sha256:" + _hash_relations(contents, names_bytes, manifest)
    except (TypeError, ValueError):  # (a manifest value JSON cannot write back: not as import wrote it)
        now = ""
    if expected != now:
        raise FactsError("facts.corrupt", "relation files, names.json or the manifest do not match the manifest's "
                         "content hash", location=str(mpath), hint="re-import the snapshot")
    return Snapshot(relations=relations, names=dict(names), manifest=manifest)
