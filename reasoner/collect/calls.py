"""The table of AWS API calls `reason collect` makes, and how one call is fetched.

Each :class:`Call` produces one file ``<Key>.json`` holding ``{"<Key>": [...]}``, the list being the
concatenation of every page (``client.can_paginate`` decides; every operation with a botocore
paginator is paginated).  Three shapes:

* plain: ``DescribeVpcs`` -> ``{"Vpcs": [...]}``;
* per parent (Batfish layout): the operation is called once per parent id found in an earlier
  call's items, and each answer is wrapped with the parent id:
  ``{"LoadBalancerListeners": [{"LoadBalancerArn": ..., "Listeners": [...]}]}``;
* list then describe (ECS): ``ListClusters`` ids are described in batches (``DescribeClusters``), asked with
  ``include=["TAGS"]``: without it ECS leaves the tags of clusters, services and tasks out of its answers.

Load balancer and target group tags (``LoadBalancerTags``, ``TargetGroupTags``) are asked per resource
(``DescribeTags``): the describe answers of ELBv2 carry none.

``PrefixLists`` (``DescribeManagedPrefixLists``) gets each list's ``Entries``
(``GetManagedPrefixListEntries``) inlined, the shape the importer reads.

Handled: pagination, parents that vanish between calls (``*NotFound``: that parent is skipped and
recorded as incomplete, the others are collected), ``SearchTransitGatewayRoutes`` answers flagged
``AdditionalRoutesAvailable`` (recorded as incomplete: ``Truncated``).  Not collected on purpose: VPN connections
(they embed IPsec pre-shared keys); keys that may hold secrets are removed from every item
(:data:`SECRET_KEYS`: ECS ``environment``/``secrets`` overrides, VPN configuration, pre-shared keys).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from botocore import xform_name
from botocore.exceptions import ClientError

from reasoner.collect.errors import RECORDABLE, Incomplete, error_code, error_message, fatal

#: Keys removed wherever they appear in a collected item (defence in depth; none is needed by the model).
SECRET_KEYS = frozenset({
    "CustomerGatewayConfiguration", "PreSharedKey", "PreSharedKeys", "AuthKey", "UserData",
    "SecretAccessKey", "SessionToken", "environment", "environmentFiles", "secrets",
})


@dataclass(frozen=True)
class Parent:
    """Where the parent ids of a per-parent call come from.

    ``key``: the earlier call's key; ``path``: field names leading to the id inside each of its
    items, lists being flattened (``("Listeners", "ListenerArn")`` in wrapped listener items);
    ``param``: the request parameter taking the id (``as_list``: a list of one id, as ``ResourceArns``);
    ``wrap_id``: the id's name in the wrapper.
    """

    key: str
    path: tuple[str, ...]
    param: str
    wrap_id: str
    as_list: bool = False

    def ids(self, items: list[Any]) -> list[str]:
        """Parent ids in order, de-duplicated."""
        found: list[str] = []
        for item in items:
            found.extend(_walk(item, self.path))
        return list(dict.fromkeys(found))


def _walk(obj: Any, path: tuple[str, ...]) -> Iterator[str]:
    if not path:
        if isinstance(obj, str) and obj:
            yield obj
        return
    if isinstance(obj, list):
        for x in obj:
            yield from _walk(x, path)
    elif isinstance(obj, dict):
        yield from _walk(obj.get(path[0]), path[1:])


@dataclass(frozen=True)
class ListFirst:
    """List ids with ``operation`` (``result_key`` in each page), then describe them in batches."""

    operation: str
    result_key: str
    param: str
    batch: int
    #: the describe calls' ``include`` (ECS: ``("TAGS",)``), not sent to the list call, which takes none
    include: tuple[str, ...] = ()


@dataclass(frozen=True)
class Call:
    """One entry of the call table (names as AWS spells them)."""

    key: str
    service: str
    operation: str
    result_key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    parent: Parent | None = None
    wrap: str | None = None
    list_first: ListFirst | None = None
    entries: bool = False
    truncated_flag: str | None = None

    @property
    def needs(self) -> tuple[str, ...]:
        return (self.parent.key,) if self.parent else ()

    @property
    def label(self) -> str:
        return f"{self.service} {self.operation}"


def _ec2(key: str, operation: str, **kw: Any) -> Call:
    return Call(key, "ec2", operation, kw.pop("result_key", key), **kw)


_TGW_RTB = Parent("TransitGatewayRouteTables", ("TransitGatewayRouteTableId",), "TransitGatewayRouteTableId",
                  "TransitGatewayRouteTableId")
_LB = Parent("LoadBalancers", ("LoadBalancerArn",), "LoadBalancerArn", "LoadBalancerArn")
_TG = Parent("TargetGroups", ("TargetGroupArn",), "TargetGroupArn", "TargetGroupArn")
_CLUSTER = Parent("EcsClusters", ("clusterArn",), "cluster", "ClusterArn")


def _tgw_routes(key: str, kind: str) -> Call:
    return _ec2(key, "SearchTransitGatewayRoutes", result_key="Routes", wrap="Routes", parent=_TGW_RTB,
                params={"Filters": [{"Name": "type", "Values": [kind]}]},
                truncated_flag="AdditionalRoutesAvailable")


#: Every call, in a fixed order (parents before children).
CALLS: tuple[Call, ...] = (
    _ec2("Vpcs", "DescribeVpcs"),
    _ec2("Subnets", "DescribeSubnets"),
    _ec2("NetworkInterfaces", "DescribeNetworkInterfaces"),
    _ec2("SecurityGroups", "DescribeSecurityGroups"),
    _ec2("NetworkAcls", "DescribeNetworkAcls"),
    _ec2("RouteTables", "DescribeRouteTables"),
    _ec2("InternetGateways", "DescribeInternetGateways"),
    _ec2("EgressOnlyInternetGateways", "DescribeEgressOnlyInternetGateways"),
    _ec2("NatGateways", "DescribeNatGateways"),
    _ec2("VpcPeeringConnections", "DescribeVpcPeeringConnections"),
    _ec2("TransitGateways", "DescribeTransitGateways"),
    _ec2("TransitGatewayAttachments", "DescribeTransitGatewayAttachments"),
    _ec2("TransitGatewayVpcAttachments", "DescribeTransitGatewayVpcAttachments"),
    _ec2("TransitGatewayRouteTables", "DescribeTransitGatewayRouteTables"),
    _ec2("TransitGatewayPropagations", "GetTransitGatewayRouteTablePropagations",
         result_key="TransitGatewayRouteTablePropagations", wrap="TransitGatewayRouteTablePropagations", parent=_TGW_RTB),
    _ec2("TransitGatewayRouteTableAssociations", "GetTransitGatewayRouteTableAssociations",
         result_key="Associations", wrap="Associations", parent=_TGW_RTB),
    _tgw_routes("TransitGatewayStaticRoutes", "static"),
    _tgw_routes("TransitGatewayPropagatedRoutes", "propagated"),
    _ec2("VpcEndpoints", "DescribeVpcEndpoints"),
    _ec2("PrefixLists", "DescribeManagedPrefixLists", entries=True),
    _ec2("Reservations", "DescribeInstances"),
    _ec2("Addresses", "DescribeAddresses"),
    Call("LoadBalancers", "elbv2", "DescribeLoadBalancers", "LoadBalancers"),
    Call("LoadBalancerAttributes", "elbv2", "DescribeLoadBalancerAttributes", "Attributes", parent=_LB, wrap="Attributes"),
    Call("LoadBalancerListeners", "elbv2", "DescribeListeners", "Listeners", parent=_LB, wrap="Listeners"),
    Call("LoadBalancerListenerRules", "elbv2", "DescribeRules", "Rules", wrap="Rules",
         parent=Parent("LoadBalancerListeners", ("Listeners", "ListenerArn"), "ListenerArn", "ListenerArn")),
    Call("TargetGroups", "elbv2", "DescribeTargetGroups", "TargetGroups"),
    Call("TargetGroupAttributes", "elbv2", "DescribeTargetGroupAttributes", "Attributes", parent=_TG, wrap="Attributes"),
    Call("LoadBalancerTargetHealth", "elbv2", "DescribeTargetHealth", "TargetHealthDescriptions", parent=_TG,
         wrap="TargetHealthDescriptions"),
    # tags of load balancers and target groups: not in their describe answers (DescribeTags, one ARN per request)
    Call("LoadBalancerTags", "elbv2", "DescribeTags", "TagDescriptions", wrap="TagDescriptions",
         parent=Parent("LoadBalancers", ("LoadBalancerArn",), "ResourceArns", "ResourceArn", as_list=True)),
    Call("TargetGroupTags", "elbv2", "DescribeTags", "TagDescriptions", wrap="TagDescriptions",
         parent=Parent("TargetGroups", ("TargetGroupArn",), "ResourceArns", "ResourceArn", as_list=True)),
    Call("EcsClusters", "ecs", "DescribeClusters", "clusters",
         list_first=ListFirst("ListClusters", "clusterArns", "clusters", 100, include=("TAGS",))),
    Call("EcsTasks", "ecs", "DescribeTasks", "tasks", parent=_CLUSTER, wrap="Tasks",
         list_first=ListFirst("ListTasks", "taskArns", "tasks", 100, include=("TAGS",))),
    Call("EcsServices", "ecs", "DescribeServices", "services", parent=_CLUSTER, wrap="Services",
         list_first=ListFirst("ListServices", "serviceArns", "services", 10, include=("TAGS",))),
)


@dataclass
class Outcome:
    """What one call produced: its items (``None`` when it failed) and what is missing."""

    items: list[Any] | None
    incomplete: list[Incomplete] = field(default_factory=list)
    requests: int = 0


class _Fetch:
    """One call's fetch in one account/region (counts requests, records incomplete parts)."""

    def __init__(self, call: Call, client: Any, account: str, region: str) -> None:
        self.call, self.client, self.account, self.region = call, client, account, region
        self.requests = 0
        self.incomplete: list[Incomplete] = []

    def record(self, operation: str, code: str, message: str) -> None:
        self.incomplete.append(Incomplete(self.account, self.region, self.call.service, operation, code, message))

    def pages(self, operation: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        method = xform_name(operation)
        if self.client.can_paginate(method):
            for page in self.client.get_paginator(method).paginate(**params):
                self.requests += 1
                yield page
        else:
            self.requests += 1
            yield getattr(self.client, method)(**params)

    def items(self, operation: str, result_key: str, params: Mapping[str, Any]) -> list[Any]:
        out: list[Any] = []
        last: dict[str, Any] = {}
        for page in self.pages(operation, params):
            out.extend(page.get(result_key) or [])
            last = page
        flag = self.call.truncated_flag
        if flag and last.get(flag):
            self.record(operation, "Truncated", f"{flag} is true: more than {len(out)} results, the rest are missing")
        return out

    def one(self, params: Mapping[str, Any]) -> list[Any]:
        """The items for one parent (or for the region when the call has none)."""
        call = self.call
        if call.list_first is None:
            found = self.items(call.operation, call.result_key, params)
        else:
            lf = call.list_first
            ids = self.items(lf.operation, lf.result_key, params)
            found = []
            extra = {"include": list(lf.include)} if lf.include else {}
            for i in range(0, len(ids), lf.batch):
                found.extend(self.items(call.operation, call.result_key, {**params, lf.param: ids[i:i + lf.batch], **extra}))
        if call.entries:
            for pl in found:
                if isinstance(pl, dict) and pl.get("PrefixListId"):
                    pl["Entries"] = self.items("GetManagedPrefixListEntries", "Entries", {"PrefixListId": pl["PrefixListId"]})
        return found

    def run(self, parents: Mapping[str, list[Any]]) -> list[Any]:
        call = self.call
        if call.parent is None:
            return self.one(call.params)
        wrapped: list[Any] = []
        for pid in call.parent.ids(parents.get(call.parent.key) or []):
            try:
                found = self.one({**call.params, call.parent.param: [pid] if call.parent.as_list else pid})
            except ClientError as exc:
                code = error_code(exc)
                if "NotFound" not in code or fatal(exc, "") is not None:
                    raise
                self.record(call.operation, code, f"{call.parent.wrap_id} {pid} vanished during collection: {error_message(exc)}")
                continue
            wrapped.append({call.parent.wrap_id: pid, call.wrap or call.result_key: found})
        return wrapped


def fetch(call: Call, client: Any, account: str, region: str, parents: Mapping[str, list[Any]] | None = None) -> Outcome:
    """Run ``call`` with ``client`` and return its items, scrubbed of :data:`SECRET_KEYS`.

    A failure that only concerns this call (AccessDenied, UnauthorizedOperation, OptInRequired,
    unsupported operation, throttling past the retries, connection errors) gives ``items=None`` and
    one :class:`Incomplete`; failures of the credentials (expired token, ...) raise
    :class:`~reasoner.collect.errors.CollectError`.
    """
    f = _Fetch(call, client, account, region)
    try:
        items = f.run(parents or {})
    except RECORDABLE as exc:
        stop = fatal(exc, f"account {account} region {region} ({call.label})")
        if stop is not None:
            raise stop from None
        f.record(_operation_of(exc, call), error_code(exc), error_message(exc))
        return Outcome(None, f.incomplete, f.requests)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:  # an answer that is not the documented shape
        f.record(call.operation, "MalformedResponse", f"the answer is not an AWS response of this call ({type(exc).__name__})")
        return Outcome(None, f.incomplete, f.requests)
    return Outcome(scrub(items), f.incomplete, f.requests)


def _operation_of(exc: BaseException, call: Call) -> str:
    name = getattr(exc, "operation_name", None)
    return str(name) if name else call.operation


def scrub(obj: Any) -> Any:
    """``obj`` without any :data:`SECRET_KEYS` (recursively)."""
    if isinstance(obj, dict):
        return {k: scrub(v) for k, v in obj.items() if k not in SECRET_KEYS}
    if isinstance(obj, list):
        return [scrub(v) for v in obj]
    return obj
