"""Per-file import state shared by the per-service importers (ec2, transit_gateways, elbv2): the accumulator
of relations and names, and typed accessors that turn malformed JSON into located
:class:`reasoner.errors.FactsError` (``facts.missing_field``, ``facts.bad_value``, ``facts.truncated``), never a
KeyError."""

from __future__ import annotations

import json
import re
from typing import Any

from reasoner import addresses
from reasoner.errors import FactsError
from reasoner.protocols import ICMP, NUMBERS

_FAM = {"ipv4": "IPv4", "ipv6": "IPv6"}
_PROTOCOLS = {**NUMBERS, "all": "-1", "-1": "-1"}  # IpPermission IpProtocol names

Row = tuple[Any, ...]

#: Keys by which an answer says it is one page of a longer one: EC2's and the AWS CLI's ``NextToken`` ("null when
#: there are no more items to return", EC2 API reference; the CLI prints one when ``--max-items`` cuts the answer,
#: cli/latest/userguide/cli-usage-pagination.html), Elastic Load Balancing's ``NextMarker`` ("if there are
#: additional results, this is the marker for the next set of results; otherwise, this is null") and ``Marker``, and
#: Amazon ECS's ``nextToken`` ("this value is null when there are no more results to return", API_ListTasks).
PAGE_TOKENS = ("NextToken", "NextMarker", "Marker", "nextToken")


def whole(value: Any) -> int:
    """A whole number as the EC2 API writes one: a JSON integer, or a string of one ("-1", "443"); anything else (a
    boolean, a fraction, 1e400, a number of thousands of digits) is ValueError, never rounded or read as another."""
    if type(value) is int and -(2**63) <= value < 2**63:
        return value
    if type(value) is str and re.fullmatch(r"-?[0-9]{1,18}", value.strip()):
        return int(value)
    raise ValueError(value)


class Ctx:
    """Per-file state: the file label for locations, and the accumulator."""

    def __init__(self, acc: "Acc", file: str, account: str = "") -> None:
        self.acc = acc
        self.file = file
        # the account whose answer the file is (its aws_configs/<account>/ folder; "" in a layout without one): zone
        # names are the account's own (vpc-sharing-share-subnet-working-with.html), reasoner/facts/elbv2.py finish
        self.account = account

    def err(self, code: str, message: str, path: str, hint: str | None = None) -> FactsError:
        return FactsError(code, message, location=f"{self.file}:{path}", hint=hint)

    def whole(self, obj: dict, path: str) -> None:
        """Refuses an answer that is one page of a longer one (a page token set in ``obj``): the rest of the answer is
        not in the file, and what it lacks would read as absent (a subnet without its network ACL takes its VPC's
        default one, an ENI missing from a security group's members is never checked).  An empty or null token is
        the last page."""
        for key in PAGE_TOKENS:
            if obj.get(key) not in (None, ""):
                raise self.err("facts.truncated", f"this answer is one page of a longer one ({key} is set): the rest is "
                               "missing from the file", f"{path}.{key}",
                               hint="dump it again without --max-items or --no-paginate (the AWS CLI then follows every "
                                    "page), or collect the account with `reason collect`")

    def req(self, obj: Any, key: str, path: str) -> Any:
        """``obj[key]``, which must be present and not null."""
        if not isinstance(obj, dict):
            raise self.err("facts.bad_value", f"expected an object, found {type(obj).__name__}", path)
        value = obj.get(key)
        if value is None:
            raise self.err("facts.missing_field", f"required field {key!r} is missing", f"{path}.{key}")
        return value

    def one_of(self, obj: Any, keys: tuple[str, ...], path: str) -> str | None:
        """The one key of ``keys`` that ``obj`` sets (not null), or None when it sets none.  Two or more is a located
        error (``facts.bad_value``): the API gives one (a network ACL entry's ``CidrBlock`` or ``Ipv6CidrBlock``, a
        route's destination), and reading the first would silently drop the other."""
        present = [k for k in keys if self.opt(obj, k, path) is not None]
        if len(present) > 1:
            raise self.err("facts.bad_value", f"{' and '.join(present)} are both set: the API gives one of "
                           f"{', '.join(keys)}", f"{path}.{present[1]}",
                           hint="collect the answer again; an entry or route edited by hand must keep one of them")
        return present[0] if present else None

    def req_str(self, obj: Any, key: str, path: str) -> str:
        value = self.req(obj, key, path)
        if not isinstance(value, str) or not value:
            raise self.err("facts.bad_value", f"field {key!r} must be a non-empty string", f"{path}.{key}")
        return value

    def given_str(self, obj: Any, key: str, path: str) -> str | None:
        """``obj[key]``: None when not given (or null), else a non-empty string (another value is a located error, never
        read as its text): a network interface's or its attachment's ``Status``, a subnet's ``OwnerId``."""
        return self.opt_str(obj, key, path) if self.opt(obj, key, path) is not None else None

    def opt_str(self, obj: Any, key: str, path: str, default: str | None = None) -> str | None:
        """``obj[key]`` when the key is there, which must then be a non-empty string; ``default`` when it is not.  A
        null or a value of another type is a located error (``facts.bad_value``), never read as its text ("None",
        "3"): the API gives such a field as a string or leaves it out."""
        if not isinstance(obj, dict):
            raise self.err("facts.bad_value", f"expected an object, found {type(obj).__name__}", path)
        if key not in obj:
            return default
        value = obj[key]
        if not isinstance(value, str) or not value:
            raise self.err("facts.bad_value", f"field {key!r} must be a non-empty string when given, found "
                           f"{json.dumps(value)[:40]}", f"{path}.{key}")
        return value

    def opt(self, obj: Any, key: str, path: str, default: Any = None) -> Any:
        if not isinstance(obj, dict):
            raise self.err("facts.bad_value", f"expected an object, found {type(obj).__name__}", path)
        value = obj.get(key)
        return default if value is None else value

    def items(self, obj: Any, key: str, path: str) -> list[tuple[str, Any]]:
        """``(json_path, item)`` for each element of the optional list ``obj[key]``."""
        value = self.opt(obj, key, path, [])
        if not isinstance(value, list):
            raise self.err("facts.bad_value", f"field {key!r} must be a list", f"{path}.{key}")
        return [(f"{path}.{key}[{i}]", item) for i, item in enumerate(value)]

    def req_items(self, obj: Any, key: str, path: str) -> list[tuple[str, Any]]:
        """As :meth:`items`, for a list the API always returns (empty or not): a security group's rules, a network
        ACL's entries, a route table's routes, an ENI's groups, associations and attachments (the callers name the
        rest; README "Collecting from AWS" lists them).  Read as empty when absent, an answer cut or edited by hand
        would say "no rule", "no route", "no group": a verdict on data the snapshot does not have.  So absence is a
        located error (``facts.missing_field``), as for a required id."""
        if not isinstance(obj, dict):
            raise self.err("facts.bad_value", f"expected an object, found {type(obj).__name__}", path)
        if obj.get(key) is None:
            raise self.err("facts.missing_field", f"required list {key!r} is missing (the API always returns it, "
                           "empty or not)", f"{path}.{key}",
                           hint=f"collect the answer again, or write \"{key}\": [] where there is truly none")
        return self.items(obj, key, path)

    def cidr(self, text: Any, path: str, fam: str = "ipv4") -> tuple[int, int, int]:
        """A CIDR of the family the field holds (``ipv4`` or ``ipv6``) as ``(lo, hi, prefix length)`` on the
        address line of reasoner/addresses.py."""
        try:
            lo, hi, plen = addresses.parse_cidr(str(text))
        except ValueError as exc:
            raise self.err("facts.bad_value", f"not an {_FAM[fam]} CIDR: {text!r} ({exc})", path) from None
        if addresses.family(lo) != fam:
            raise self.err("facts.bad_value", f"not an {_FAM[fam]} CIDR: {text!r}", path)
        return lo, hi, plen

    def ip(self, text: Any, path: str, fam: str = "ipv4") -> int:
        try:
            n = addresses.parse(str(text))
        except ValueError:
            n = None
        if n is None or addresses.family(n) != fam:
            raise self.err("facts.bad_value", f"not an {_FAM[fam]} address: {text!r}", path) from None
        return n

    def proto(self, value: Any, path: str) -> str:
        text = str(value).strip().lower()
        if text in _PROTOCOLS:
            return _PROTOCOLS[text]
        if text.lstrip("-").isdigit():
            number = int(text)
            # an IP protocol number is 8 bits ("Use -1 to specify all protocols", IpPermission IpProtocol; the IANA
            # protocol numbers are 0-255): any other number names no packet and is a malformed row, never a class
            if number == -1 or 0 <= number <= 255:
                return str(number)
            raise self.err("facts.bad_value", f"protocol number {value!r} is outside 0-255 (or -1 for all)", path)
        raise self.err("facts.bad_value", f"unknown protocol {value!r}", path)

    def ports(self, proto: str, lo: Any, hi: Any, path: str) -> tuple[int, int]:
        """The destination port range of a security group rule or network ACL entry.

        Only TCP and UDP have ports; ICMP and ICMPv6 have a type and a code instead (``icmp_range``).  Any other
        protocol gets every port whatever the range says (EC2 API reference, IpPermission: "specifying -1 or a
        protocol number other than tcp, udp, icmp, or icmpv6 allows traffic on all ports, regardless of any port
        range you specify").  For TCP, UDP and ICMP the range is
        required ("For tcp, udp, and icmp, you must specify a port range. For icmpv6, the port range is optional";
        NetworkAclEntry PortRange: "Required if specifying protocol 6 (TCP) or 17 (UDP)"): a missing one, or one
        outside 0-65535, is a malformed row (``facts.bad_value``), never read as every port or message.  ``-1`` is an
        open end, as Batfish reads it (its IpPermissions: -1 as the low end is 0, as the high end 65535)."""
        if proto == "1" and (lo is None or hi is None):  # (ICMPv6's range is optional: absent, every message)
            raise self.err("facts.bad_value", "an ICMP rule needs its type and code (FromPort and ToPort, -1 for all); "
                           "a missing one is not read as every message", path)
        if proto in ICMP:
            return self.icmp_range(lo, hi, path)
        if proto not in ("6", "17"):
            return 0, 65535
        if lo is None or hi is None:
            raise self.err("facts.bad_value", "a TCP or UDP rule needs its port range (FromPort and ToPort; a network "
                           "ACL entry: PortRange From and To); a missing range is not read as every port", path)
        try:
            lo_i, hi_i = whole(lo), whole(hi)
        except ValueError:
            raise self.err("facts.bad_value", f"bad port range {lo!r}..{hi!r} (ports are whole numbers)", path) from None
        lo_i = 0 if lo_i == -1 else lo_i
        hi_i = 65535 if hi_i == -1 else hi_i
        if not 0 <= lo_i <= hi_i <= 65535:
            raise self.err("facts.bad_value", f"port range {lo!r}..{hi!r} is not a range of ports 0-65535", path)
        return lo_i, hi_i

    def icmp_range(self, icmp_type: Any, code: Any, path: str) -> tuple[int, int]:
        """The ICMP or ICMPv6 messages a rule or entry matches, as one range of ``type * 256 + code`` (the column
        that holds ports for TCP and UDP: the rules compare it with the packet's as they compare ports).

        EC2 API reference, IpPermission: FromPort is "the ICMP type or -1 (all ICMP types)", ToPort "the ICMP code
        or -1 (all ICMP codes)"; NetworkAclEntry IcmpTypeCode: "Type ... A value of -1 means all types", "Code ...
        A value of -1 means all codes for the specified ICMP type".  So: type -1 is every message (0-65535);
        type t with code -1 is t's 256 codes; type t with code c is one message.  An absent type or code is read
        as -1, as Batfish reads it (the EC2 API lists -1 for "all ICMP"), where the callers let it be absent: an
        ICMPv6 rule's range (an ICMP rule without its range, a network ACL ICMP entry without IcmpTypeCode or
        without its Type or Code, are refused by the callers); a type or code outside 0-255 (or -1) is a malformed
        row (``facts.bad_value``)."""
        def number(v: Any, what: str) -> int:
            if v is None:
                return -1
            try:
                n = whole(v)
            except ValueError:
                raise self.err("facts.bad_value", f"bad ICMP {what} {v!r}", path) from None
            if not -1 <= n <= 255:
                raise self.err("facts.bad_value", f"ICMP {what} {v!r} is not within 0-255 (or -1: all)", path)
            return n

        t, c = number(icmp_type, "type"), number(code, "code")
        if t == -1:
            return 0, 65535
        if c == -1:
            return t * 256, t * 256 + 255
        return t * 256 + c, t * 256 + c

    def add(self, rel: str, *row: Any) -> None:
        self.acc.rels[rel].add(tuple(row))

    def only_one(self, what: str, subject: str, owner: str, path: str, source: str) -> None:
        """Records that ``subject`` has ``owner`` as its one ``what`` (a subnet's network ACL, a subnet's route table,
        a VPC's main route table), said at ``path``.  AWS gives each subject exactly one (``source`` cites where);
        an answer that names a second one contradicts itself (an older copy joined, a hand edit), and read as given,
        both would apply and either one's allow would pass a packet.  So a second, different owner, in any file, is
        an input error (``facts.conflict``) naming both places."""
        first = self.acc.owners.setdefault((what, subject), (owner, f"{self.file}:{path}"))
        if first[0] != owner:
            raise self.err("facts.conflict", f"{subject} has two {what}s here: {owner}, and {first[0]} at {first[1]} "
                           f"({source})", path,
                           hint="the answers contradict each other (an older copy of an answer left beside the new "
                                "one, or an edit?): keep the current one")

    def name(self, obj: Any, rid: str, path: str) -> None:
        """Keeps every tag of resource ``rid`` as a ``tag`` fact (``Tags`` or ``TagSet``) and its ``Name`` tag as its
        display name. Tags are data: they reach rules only as facts."""
        key = "Tags" if self.opt(obj, "Tags", path) is not None else "TagSet"
        for tp, tag in self.items(obj, key, path):
            k, value = self.tag(tag, tp)
            self.add("tag", rid, k, value)
            if k == "Name":
                self.acc.names[rid] = value

    def tag(self, tag: Any, path: str, key: str = "Key", value: str = "Value") -> tuple[str, str]:
        """One tag, of EC2, of a load balancer (elbv2.py ``tags``) or of ECS (ecs.py: ``key``/``value`` in lower
        case), as (key, value).  A tag is ``{"Key": non-empty string, "Value": string}``, as the EC2, Elastic Load
        Balancing and ECS APIs define it (``Tag``: a key of 1-128 characters, a value of 0-256, not required); a
        missing or null value reads as "", as the console shows a tag without one.  Anything else is an error naming
        where it is, never a tag dropped unseen or read as something else, since a policy may read it."""
        k = self.req_str(tag, key, path)
        v = self.opt(tag, value, path, "")
        if not isinstance(v, str):
            raise self.err("facts.bad_value", f"field '{value}' must be a string, found {type(v).__name__}",
                           f"{path}.{value}")
        return k, v


class Acc:
    """Everything imported so far: relations (every name in ``relations``, possibly empty) and Name tags."""

    def __init__(self, relations: tuple[str, ...]) -> None:
        self.rels: dict[str, set[Row]] = {r: set() for r in relations}
        self.names: dict[str, str] = {}
        self.skipped_ipv6 = 0
        self.enis: set[str] = set()
        # (subnet, account) -> the subnet's AvailabilityZone as that account names it (one subnet of a shared VPC is
        # described by each account, each with its own zone names)
        self.subnet_zones: dict[tuple[str, str], str] = {}
        self.owners: dict[tuple[str, str], tuple[str, str]] = {}  # Ctx.only_one: (what, subject) -> (owner, where)
        # instance ENIs seen in Reservations: processed after all files, if not already known
        self.instance_enis: list[tuple[Ctx, str, dict[str, Any], str]] = []
