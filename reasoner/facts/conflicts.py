"""One description per resource: a resource described twice, differently, in one account and region is refused.

``reason import`` reads every JSON file under ``aws_configs/`` and joins what they describe.  Two files of one
region folder holding the same describe-* key are two parts of one answer (pages saved apart, or one file per VPC
of a filtered call), and their resources are joined.  But an older copy of an answer left beside the new one
(``SecurityGroups.json`` and ``SecurityGroups.2026-11-01.json``) describes the same resources twice: joined, a
security group would hold the rules of both, the rules since removed included, and a path its group no longer
allows would read as allowed.  AWS describes each resource once per answer (its id is unique), so a resource id
met twice in one folder with two different descriptions is an input error (``facts.conflict``) naming both
files; met twice alike, it is one resource.

Handled: the answers whose resources carry an id (``IDS``) and the per-parent answers wrapped with their parent's
id (``WRAPPED``: a load balancer's listeners, a target group's health, a route table's propagations, ...).
Not checked: unwrapped per-parent items that name no id of their own (a transit gateway route table's routes),
and folders of different accounts or regions (a shared subnet or a peering connection is described by both of its
accounts, each from its side).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reasoner.errors import FactsError

#: describe-* key -> the field holding each resource's id.
IDS: dict[str, str] = {
    "Vpcs": "VpcId", "Subnets": "SubnetId", "NetworkInterfaces": "NetworkInterfaceId", "SecurityGroups": "GroupId",
    "NetworkAcls": "NetworkAclId", "RouteTables": "RouteTableId", "InternetGateways": "InternetGatewayId",
    "EgressOnlyInternetGateways": "EgressOnlyInternetGatewayId", "NatGateways": "NatGatewayId",
    "Reservations": "ReservationId", "PrefixLists": "PrefixListId", "ManagedPrefixLists": "PrefixListId",
    "Addresses": "AllocationId", "VpcEndpoints": "VpcEndpointId", "VpcPeeringConnections": "VpcPeeringConnectionId",
    "TransitGateways": "TransitGatewayId", "TransitGatewayAttachments": "TransitGatewayAttachmentId",
    "TransitGatewayVpcAttachments": "TransitGatewayAttachmentId", "TransitGatewayRouteTables": "TransitGatewayRouteTableId",
    "LoadBalancers": "LoadBalancerArn", "TargetGroups": "TargetGroupArn", "LoadBalancerListeners": "ListenerArn",
    "LoadBalancerListenerRules": "RuleArn", "EcsClusters": "clusterArn",
}

#: per-parent describe-* key -> (the wrapper's list of children, the wrapper's parent id field)
WRAPPED: dict[str, tuple[str, str]] = {
    "LoadBalancerAttributes": ("Attributes", "LoadBalancerArn"),
    "TargetGroupAttributes": ("Attributes", "TargetGroupArn"),
    "LoadBalancerListeners": ("Listeners", "LoadBalancerArn"),
    "LoadBalancerListenerRules": ("Rules", "ListenerArn"),
    "LoadBalancerTargetHealth": ("TargetHealthDescriptions", "TargetGroupArn"),
    "TransitGatewayPropagations": ("TransitGatewayRouteTablePropagations", "TransitGatewayRouteTableId"),
    "TransitGatewayRouteTableAssociations": ("Associations", "TransitGatewayRouteTableId"),
    "TransitGatewayStaticRoutes": ("Routes", "TransitGatewayRouteTableId"),
    "TransitGatewayPropagatedRoutes": ("Routes", "TransitGatewayRouteTableId"),
    "EcsServices": ("Services", "ClusterArn"),
    "EcsTasks": ("Tasks", "ClusterArn"),
}


#: describe-* keys two commands answer, each with part of a resource's fields: the AWS CLI prints both
#: ``describe-prefix-lists`` (id, name, ``Cidrs``) and ``describe-managed-prefix-lists`` (id, name, address family, state,
#: owner, version; no entries) under ``PrefixLists``.  Two such descriptions of one list are one list when every field
#: both give agrees (reasoner/facts/ec2.py ``prefix_lists`` then checks that its entry sets agree).
PARTS = frozenset({"PrefixLists"})


def _parts(a: dict, b: dict) -> bool:
    """Whether ``a`` and ``b`` describe one resource from two answers: each gives a field the other lacks, and every field
    both give agrees."""
    return bool(a.keys() - b.keys()) and bool(b.keys() - a.keys()) and all(a[k] == b[k] for k in a.keys() & b.keys())


class Described:
    """The resources met so far, per folder: ``(folder, key, id) -> (file, JSON path, description)``."""

    def __init__(self) -> None:
        self._seen: dict[tuple[Path, str, str], tuple[str, str, Any]] = {}

    def check(self, path: Path, key: str, answer: Any) -> None:
        """Records the resources of ``answer`` (the value of ``key`` in file ``path``); a resource met before in the
        same folder with another description is a FactsError (``facts.conflict``) located at this one."""
        if not isinstance(answer, list):
            return  # (the key's handler reports the shape)
        wrapped = WRAPPED.get(key)
        for i, item in enumerate(answer):
            if not isinstance(item, dict):
                continue
            if wrapped is not None and wrapped[0] in item:
                field = wrapped[1]
            elif key in IDS:
                field = IDS[key]
            else:
                continue
            rid = item.get(field)
            if not isinstance(rid, str) or not rid:
                continue
            where = f"$.{key}[{i}]"
            first = self._seen.setdefault((path.parent, key, f"{field}={rid}"), (str(path), where, item))
            if first[2] != item and not (key in PARTS and _parts(first[2], item)):
                raise FactsError(
                    "facts.conflict", f"{rid} is described twice, differently: here and in {first[0]} ({first[1]})",
                    location=f"{path}:{where}",
                    hint="keep one answer per resource in a region's folder (an older copy of a describe-* answer "
                         "left beside the new one?): move the other out of aws_configs/")
