"""Interface endpoints' network interfaces as the source of a query (rules/vpc_endpoints.dl).

An endpoint's ENIs carry the connections its VPC opens to the service, and their replies; Reachability Analyzer's
VPCE_INTRA_VPC_TRAFFIC: "A VPC endpoint can't initiate connections to its own VPC" (explanation-codes.html), and its
NO_PATH names "interface or gateway endpoints to their own VPC" as a source that cannot initiate.
"""

import json
from pathlib import Path

import pytest

from test_query import FACTS, REGION, _public_ip, edit, query_json, reason, scenario

FIXED = FACTS / "examples" / "seed-fixed"


def _interface_endpoint(snap: Path) -> None:
    """An interface endpoint (vpce-0ssm) whose ENI sits in subnet-pub-a with sg-0alb, which the fixed example lets out
    to the task on tcp 8000 and the task's group admits."""
    edit(snap, "NetworkInterfaces", lambda d: d["NetworkInterfaces"].append(
        {"NetworkInterfaceId": "eni-0vpce", "SubnetId": "subnet-pub-a", "VpcId": "vpc-0a1b2c3d", "InterfaceType": "vpc_endpoint",
         "Status": "in-use", "RequesterManaged": True, "PrivateIpAddress": "10.0.1.60", "Groups": [{"GroupId": "sg-0alb"}]}))
    (snap / REGION / "VpcEndpoints.json").write_text(json.dumps({"VpcEndpoints": [
        {"VpcEndpointId": "vpce-0ssm", "VpcId": "vpc-0a1b2c3d", "VpcEndpointType": "Interface", "State": "available",
         "ServiceName": "com.amazonaws.us-east-1.ssm", "SubnetIds": ["subnet-pub-a"], "NetworkInterfaceIds": ["eni-0vpce"],
         "Groups": [{"GroupId": "sg-0alb"}]}]}))


def test_an_interface_endpoint_opens_no_connection_to_its_own_vpc(tmp_path):
    """It was REACHABLE (the endpoint's ENI read as any client: its group lets it out, the task's admits it)."""
    snap = scenario(tmp_path, FIXED)
    _interface_endpoint(snap)
    assert query_json(snap, "alb-eni -> task-eni tcp 8000")[0] == 0  # the same groups from a plain client: a path
    code, out = query_json(snap, "eni-0vpce -> task-eni tcp 8000")
    assert code == 1 and {(e["code"], e["component"]) for e in out["explanations"]} == {("VPCE_INTRA_VPC_TRAFFIC", "vpce-0ssm")}
    assert "ask the reverse direction" in out["explanations"][0]["message"]
    code, out = query_json(snap, "task-eni -> eni-0vpce tcp 8000")  # its VPC's clients still reach it (no rule admits 8000)
    assert code == 1 and "VPCE_INTRA_VPC_TRAFFIC" not in {e["code"] for e in out["explanations"]}


def test_an_interface_endpoint_towards_the_internet_is_undecided(tmp_path):
    """Outside its VPC nothing documented says whether an endpoint opens a connection: inconclusive, never a path."""
    snap = scenario(tmp_path, FIXED)
    _interface_endpoint(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0vpce", "54.9.9.60"))  # (else no public IP stops it)
    code, out = query_json(snap, "eni-0vpce -> 8.8.8.8 tcp 443")
    assert code == 3 and ("UNSUPPORTED_COMPONENT", "vpce-0ssm") in {(e["code"], e["component"]) for e in out["explanations"]}


def _endpoint_state(snap: Path, state: str) -> None:
    def f(d):
        d["VpcEndpoints"][0]["State"] = state
    edit(snap, "VpcEndpoints", f)


@pytest.mark.parametrize("state", ["available", "pendingAcceptance", "pending", "rejected", "failed", "deleting", "deleted",
                                   "expired"])
def test_an_interface_endpoint_not_available_is_undecided_as_a_destination(tmp_path, state):
    """"After an endpoint is accepted, it becomes available" (PrivateLink guide, accept-reject-endpoint-requests.html);
    what an endpoint's network interface does with a connection in another State is not documented.  Its interface was
    REACHABLE whatever the State (a rejected endpoint's too, so `assert reachable` passed); undecided now, and a proof of
    isolation is not given either."""
    snap = scenario(tmp_path, FIXED)
    _interface_endpoint(snap)
    _endpoint_state(snap, state)
    code, out = query_json(snap, "task-eni -> eni-0vpce tcp 80")  # sg-0alb admits tcp 80 from anywhere
    if state == "available":
        assert code == 0, out["explanations"]
        return
    assert code == 3, out
    checks = tmp_path / "iso.reason"
    checks.write_text("assert unreachable task-eni -> eni-0vpce tcp 80\nassert reachable task-eni -> eni-0vpce tcp 80\n")
    r = reason("verify", "--facts", str(snap), str(checks))
    assert r.returncode == 3, r.stdout
    assert "vpce-0ssm is not available" in reason("query", "--facts", str(snap), "task-eni -> eni-0vpce tcp 80").stdout


@pytest.mark.parametrize("state", ["pendingAcceptance", "rejected", "deleted", None])
@pytest.mark.parametrize("gwlb", [False, True])
def test_an_endpoint_interface_whose_group_refuses_the_packet_blocks_it_whatever_the_endpoint(tmp_path, state, gwlb):
    """sg-0alb admits tcp 80, not tcp 8000.  Refused at the interface if the endpoint takes connections, not taken if it
    does not: blocked either way, a certain ENI_SG_RULES_MISMATCH; it was undecided (exit 3) when the endpoint was not
    available (State) or not described (None: no VpcEndpoints answer), so `assert unreachable` could not pass.  A
    Gateway Load Balancer endpoint's interface takes no security group (API_SetSecurityGroups, CreateVpcEndpoint):
    whatever groups the snapshot gives it, it stays undecided."""
    snap = scenario(tmp_path, FIXED)
    _interface_endpoint(snap)
    if gwlb:
        edit(snap, "NetworkInterfaces", lambda d: [n.update(InterfaceType="gateway_load_balancer_endpoint")
                                                   for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0vpce"])
        edit(snap, "VpcEndpoints", lambda d: d["VpcEndpoints"][0].update(VpcEndpointType="GatewayLoadBalancer"))
    if state is None:
        (snap / REGION / "VpcEndpoints.json").unlink()
    else:
        _endpoint_state(snap, state)
    code, out = query_json(snap, "task-eni -> eni-0vpce tcp 8000")
    if gwlb:
        assert code == 3, out
        return
    assert code == 1, out
    assert {e["code"] for e in out["explanations"]} == {"ENI_SG_RULES_MISMATCH"}, out["explanations"]
    checks = tmp_path / "iso.reason"
    checks.write_text("assert unreachable task-eni -> eni-0vpce tcp 8000\nassert unreachable task-eni -> eni-0vpce tcp 80\n")
    r = reason("verify", "--facts", str(snap), str(checks))
    assert r.returncode == 3 and "PASS" in r.stdout, r.stdout  # tcp 80, which the group admits, stays undecided


@pytest.mark.parametrize("port", [80, 8000])
def test_an_available_gateway_load_balancer_endpoints_interface_is_undecided_as_a_destination(tmp_path, port):
    """It takes the traffic routes send it, for its appliances (vpce-gateway-load-balancer.html), and no security group
    (API_SetSecurityGroups): what it does with a connection addressed to it is not documented.  It was an interface like
    any other: REACHABLE on tcp 80, which the groups the snapshot gave it admit, a certain block on tcp 8000."""
    snap = scenario(tmp_path, FIXED)
    _interface_endpoint(snap)
    assert query_json(snap, f"task-eni -> eni-0vpce tcp {port}")[0] == (0 if port == 80 else 1)  # an interface endpoint
    edit(snap, "NetworkInterfaces", lambda d: [n.update(InterfaceType="gateway_load_balancer_endpoint")
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0vpce"])
    edit(snap, "VpcEndpoints", lambda d: d["VpcEndpoints"][0].update(VpcEndpointType="GatewayLoadBalancer"))
    code, out = query_json(snap, f"task-eni -> eni-0vpce tcp {port}")
    assert code == 3, out
    assert "Gateway Load Balancer endpoint" in reason("query", "--facts", str(snap), f"task-eni -> eni-0vpce tcp {port}").stdout


@pytest.mark.parametrize("kind", ["vpc_endpoint", "gateway_load_balancer_endpoint", "interface"])
def test_an_endpoint_interface_no_endpoint_of_the_snapshot_lists_is_undecided(tmp_path, kind):
    """The interface says what it is (InterfaceType, NetworkInterface in the EC2 API reference), but the snapshot lacks
    the VpcEndpoints answer: which endpoint, and in which state, is not known.  As the source it was REACHABLE (the
    same snapshot with the answer gives VPCE_INTRA_VPC_TRAFFIC), as the destination REACHABLE whatever the endpoint's
    state; both undecided now.  An ordinary interface ("interface") is answered as before."""
    snap = scenario(tmp_path, FIXED)
    _interface_endpoint(snap)
    (snap / REGION / "VpcEndpoints.json").unlink()
    edit(snap, "NetworkInterfaces", lambda d: [n.update(InterfaceType=kind) for n in d["NetworkInterfaces"]
                                               if n["NetworkInterfaceId"] == "eni-0vpce"])
    out_code, out = query_json(snap, "eni-0vpce -> task-eni tcp 8000")
    in_code, _ = query_json(snap, "task-eni -> eni-0vpce tcp 80")
    if kind == "interface":
        assert (out_code, in_code) == (0, 0)
        return
    assert (out_code, in_code) == (3, 3), out
    assert any("no endpoint of the snapshot lists it" in m["message"] for m in out.get("missing", out.get("not_decided", [])))
