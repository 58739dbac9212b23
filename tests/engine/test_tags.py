"""rules/tags.dl: ``eni_tag`` reads an ENI's tag key from the ENI itself, else from the ECS task (else the task's
service), load balancer or VPC endpoint it serves, else from the instance it is attached to (ECS Developer Guide,
ecs-using-tags.html: a task's tags are its own or propagated from its service or task definition; AWS gives the ENIs
it creates for tasks and load balancer nodes none).  Both engines are asked (pyDatalog and the set engine): any
difference fails."""

from __future__ import annotations

from reasoner.engine.backend import SetBackend
from reasoner.engine.program import Program, load_rules

TASK = "arn:aws:ecs:us-east-1:1:task/prod/t1"
TASK2 = "arn:aws:ecs:us-east-1:1:task/prod/t2"
LB = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/web/1"
CLUSTER = "arn:aws:ecs:us-east-1:1:cluster/prod"
WEB, WORKER = "arn:aws:ecs:us-east-1:1:service/prod/web", "arn:aws:ecs:us-east-1:1:service/prod/worker"

RELATIONS = {
    "eni": [(f"eni-{n}", "subnet-a", "vpc-1", 1) for n in ("own", "task", "ec2task", "lb", "host", "mixed", "none",
                                                                 "vpce", "vpceown")],
    "ecs_task_eni": [(TASK, "eni-task", 167772170, "subnet-a"), (TASK2, "eni-ec2task", 167772171, "subnet-a"),
                     (TASK, "eni-own", 167772172, "subnet-a")],
    "lb_eni": [(LB, "eni-lb")],
    # an interface endpoint's ENIs (DescribeVpcEndpoints NetworkInterfaceIds); one the snapshot does not hold
    "vpce_eni": [("vpce-1", "eni-vpce"), ("vpce-1", "eni-vpceown"), ("vpce-1", "eni-deleted")],
    "ecs_task": [(TASK, CLUSTER, "web", "FARGATE", "RUNNING"), (TASK2, CLUSTER, "worker", "EC2", "RUNNING")],
    "ecs_service": [(WEB, CLUSTER, "web", "FARGATE", "ACTIVE"), (WORKER, CLUSTER, "worker", "EC2", "ACTIVE")],
    "eni_attachment": [("eni-ec2task", "i-host"), ("eni-host", "i-host"), ("eni-mixed", "i-host"), ("eni-gone", "i-host")],
    "tag": [
        ("eni-own", "tier", "own"),            # its own tag wins over its task's
        (TASK, "tier", "app"), (TASK, "team", "payments"),
        (TASK2, "tier", "worker"),             # an awsvpc task on EC2: its task's tag, not its container instance's
        (LB, "tier", "edge"),
        ("i-host", "tier", "host"), ("i-host", "team", "infra"),
        ("eni-mixed", "team", "own-team"),     # key by key: team its own, tier its instance's
        ("vpc-1", "tier", "network"),          # a VPC's tag is no ENI's
        (WEB, "tier", "web-service"),          # its tasks' own tier comes first
        (WEB, "owner", "platform"),            # a key its tasks lack: theirs (tags not propagated)
        (WORKER, "team", "workers"),           # before the container instance's team
        ("vpce-1", "tier", "endpoint"), ("vpce-1", "team", "net"),
        ("eni-vpceown", "tier", "mine"),       # its own tag wins over its endpoint's
    ],
}

EXPECTED = {
    ("eni-own", "tier", "own"), ("eni-own", "team", "payments"), ("eni-own", "owner", "platform"),
    ("eni-task", "tier", "app"), ("eni-task", "team", "payments"), ("eni-task", "owner", "platform"),
    ("eni-ec2task", "tier", "worker"), ("eni-ec2task", "team", "workers"),
    ("eni-lb", "tier", "edge"),
    ("eni-host", "tier", "host"), ("eni-host", "team", "infra"),
    ("eni-mixed", "team", "own-team"), ("eni-mixed", "tier", "host"),
    ("eni-vpce", "tier", "endpoint"), ("eni-vpce", "team", "net"),
    ("eni-vpceown", "tier", "mine"), ("eni-vpceown", "team", "net"),
}


def test_eni_tag_precedence_in_both_engines() -> None:
    checked = load_rules([], cache=False)
    program = Program(checked)
    for rel, rows in RELATIONS.items():
        program.add_facts(rel, rows)
    assert set(program.query("eni_tag", (None, None, None))) == EXPECTED
    assert set(program.query("eni_tag", (None, "tier", None))) == {r for r in EXPECTED if r[1] == "tier"}
    backend = SetBackend(checked, RELATIONS)
    try:
        assert set(backend.rows("eni_tag")) == EXPECTED
    finally:
        backend.close()
