"""Amazon ECS: describe-* JSON -> base relations (clusters, services and the target groups they register with, tasks
and their ENIs), so that ``ecs:CLUSTER/SERVICE`` names the ENIs of a service's tasks.

Registered in :mod:`reasoner.facts.importer`; the relations are declared in ``rules/01_load_balancer_snapshot.dl``.

* ``EcsClusters`` -> ``ecs_cluster``; ``EcsServices`` ``[{ClusterArn, Services[...]}]`` -> ``ecs_service``,
  ``ecs_service_tg``; ``EcsTasks`` ``[{ClusterArn, Tasks[...]}]`` -> ``ecs_task``, ``ecs_task_eni``
* ``ecs_task.service`` is the service *name* (from ``group`` ``service:NAME``; ``""`` for standalone
  tasks): join ``ecs_service`` on (cluster, name). ``ecs_task_eni`` rows come from ``attachments`` of
  type ``ElasticNetworkInterface`` that name a ``networkInterfaceId`` (ip 0 when no address is given);
  bridge/host networking (EC2 launch type without awsvpc) gives no ENI row.  Classic ELBs of a service
  (``loadBalancerName`` only) are not modelled.
* ``names``: cluster ARN -> ``ecs:CLUSTER``, service ARN -> ``ecs:CLUSTER/SERVICE``, task ARN -> task id.
* ``tags`` of a cluster, service or task (``[{key, value}]``, in the answers of ``DescribeClusters``,
  ``DescribeServices`` and ``DescribeTasks`` asked with ``include=["TAGS"]``, as `reason collect` asks them;
  without it the answers hold no tags) -> ``tag`` (resource ARN, key, value).  A task's tags are those given when
  it was started, or propagated from its service or task definition (``propagateTags``): ``eni_tag``
  (rules/tags.dl) gives them to the task's ENI, which has none of its own.

Malformed input raises :class:`reasoner.errors.FactsError` with the file and JSON path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from reasoner.facts.fields import opt_int as _opt_int, tail as _tail, text as _text, wrapped as _wrapped

if TYPE_CHECKING:  # annotations only
    from reasoner.facts.context import Ctx as _Ctx

#: The relations produced here, in a fixed order.
RELATIONS: tuple[str, ...] = ("ecs_cluster", "ecs_service", "ecs_service_tg", "ecs_task", "ecs_task_eni")

Handler = Callable[["_Ctx", list[tuple[str, Any]]], None]


# -- ECS --------------------------------------------------------------------------------------


def ecs_clusters(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    for p, cl in items:
        arn = c.req_str(cl, "clusterArn", p)
        name = _text(c, cl, "clusterName", p) or _tail(arn)
        c.acc.names[arn] = f"ecs:{name}"
        c.add("ecs_cluster", arn, name, _text(c, cl, "status", p))
        _tags(c, cl, arn, p)


def ecs_services(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    for cluster, sp, s in _wrapped(c, items, "ClusterArn", "Services", "clusterArn"):
        arn = c.req_str(s, "serviceArn", sp)
        name = _text(c, s, "serviceName", sp) or _tail(arn)
        c.acc.names[arn] = f"ecs:{_tail(cluster)}/{name}"
        c.add("ecs_service", arn, cluster, name, _text(c, s, "launchType", sp), _text(c, s, "status", sp))
        _tags(c, s, arn, sp)
        for lp, lb in c.items(s, "loadBalancers", sp):
            tg = _text(c, lb, "targetGroupArn", lp)
            if tg:  # classic ELBs (loadBalancerName only) are not modelled
                c.add("ecs_service_tg", arn, tg, _text(c, lb, "containerName", lp), _opt_int(c, lb, "containerPort", lp))


def ecs_tasks(c: "_Ctx", items: list[tuple[str, Any]]) -> None:
    for cluster, tp, t in _wrapped(c, items, "ClusterArn", "Tasks", "clusterArn"):
        arn = c.req_str(t, "taskArn", tp)
        c.acc.names[arn] = _tail(arn)
        group = _text(c, t, "group", tp)
        service = group[len("service:"):] if group.startswith("service:") else ""
        c.add("ecs_task", arn, cluster, service, _text(c, t, "launchType", tp), _text(c, t, "lastStatus", tp))
        _tags(c, t, arn, tp)
        for ap, a in c.items(t, "attachments", tp):
            if _text(c, a, "type", ap) != "ElasticNetworkInterface":
                continue
            details: dict[str, tuple[str, str]] = {}
            for dp, d in c.items(a, "details", ap):
                details[c.req_str(d, "name", dp)] = (f"{dp}.value", _text(c, d, "value", dp))
            eni = details.get("networkInterfaceId", ("", ""))[1]
            if not eni:
                continue
            ip_path, ip_text = details.get("privateIPv4Address", ("", ""))
            ip = c.ip(ip_text, ip_path) if ip_text else 0
            c.add("ecs_task_eni", arn, eni, ip, details.get("subnetId", ("", ""))[1])


def _tags(c: "_Ctx", obj: Any, arn: str, path: str) -> None:
    """The ECS resource's ``tags`` (``[{"key": ..., "value": ...}]``: ECS spells them in lower case) as ``tag`` rows."""
    for tp, t in c.items(obj, "tags", path):
        c.add("tag", arn, *c.tag(t, tp, key="key", value="value"))


#: Top-level key -> handler, for the importer's dispatch table.
HANDLERS: dict[str, Handler] = {
    "EcsClusters": ecs_clusters,
    "EcsServices": ecs_services,
    "EcsTasks": ecs_tasks,
}
