"""Interface endpoints' network interfaces as the source of a query (rules/vpc_endpoints.dl).

An endpoint's ENIs carry the connections its VPC opens to the service, and their replies; Reachability Analyzer's
VPCE_INTRA_VPC_TRAFFIC: "A VPC endpoint can't initiate connections to its own VPC" (explanation-codes.html), and its
NO_PATH names "interface or gateway endpoints to their own VPC" as a source that cannot initiate.
"""

import json
from pathlib import Path

from test_query import FACTS, REGION, _public_ip, edit, query_json, scenario

FIXED = FACTS / "examples" / "seed-fixed"


def _interface_endpoint(snap: Path) -> None:
    """An interface endpoint (vpce-0ssm) whose ENI sits in subnet-pub-a with sg-0alb, which the fixed example lets out
    to the task on tcp 8000 and the task's group admits."""
    edit(snap, "NetworkInterfaces", lambda d: d["NetworkInterfaces"].append(
        {"NetworkInterfaceId": "eni-0vpce", "SubnetId": "subnet-pub-a", "VpcId": "vpc-0a1b2c3d", "InterfaceType": "vpc_endpoint",
         "RequesterManaged": True, "PrivateIpAddress": "10.0.1.60", "Groups": [{"GroupId": "sg-0alb"}]}))
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
