"""Private NAT gateways (ConnectivityType "private"): what the README's "Not yet" list says about them.

vpc-nat-gateway.html: a private NAT gateway has no public IP, so traffic it sends to an internet gateway is
dropped; towards other VPCs (transit gateway, virtual private gateway) it translates the source address,
which this version does not model.  So (a) an internet destination is UNREACHABLE with
IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS at the gateway, and (b) a private destination whose route goes to the
gateway is refused as UNSUPPORTED_COMPONENT (inconclusive, exit 3), never assumed to pass.
"""

import json

from test_query import REGION, ROOT, _add_peer_vpc, edit, query_json, scenario


def _private_nat(snap, *, private_route: bool) -> None:
    (snap / REGION / "NatGateways.json").write_text(json.dumps({"NatGateways": [
        {"NatGatewayId": "nat-0p", "SubnetId": "subnet-priv-a", "VpcId": "vpc-0a1b2c3d", "State": "available",
         "ConnectivityType": "private",
         "NatGatewayAddresses": [{"PrivateIp": "10.0.11.99", "NetworkInterfaceId": "eni-0natp"}]}]}))

    def routes(d):
        for r in d["RouteTables"]:
            if r["RouteTableId"] != "rtb-main":
                continue
            r["Routes"].append({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0p", "State": "active"})
            if private_route:  # the peer VPC through the NAT gateway instead of the peering connection
                r["Routes"] = [x for x in r["Routes"] if x.get("DestinationCidrBlock") != "10.1.0.0/16"]
                r["Routes"].append({"DestinationCidrBlock": "10.1.0.0/16", "NatGatewayId": "nat-0p", "State": "active"})

    edit(snap, "RouteTables", routes)


def test_internet_through_a_private_nat_gateway_is_unreachable(tmp_path):
    snap = scenario(tmp_path)
    _private_nat(snap, private_route=False)
    code, out = query_json(snap, "task-eni -> internet tcp 443")
    assert code == 1 and out["verdict"] != "inconclusive"
    assert ("IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS", "nat-0p") in {(e["code"], e["component"]) for e in out["explanations"]}
    assert not any(e["code"] == "UNSUPPORTED_COMPONENT" for e in out["explanations"])


def test_private_destination_through_a_private_nat_gateway_is_inconclusive(tmp_path):
    snap = scenario(tmp_path)
    _add_peer_vpc(snap, sg_ref=False)
    assert query_json(snap, "task-eni -> db tcp 5432")[0] == 0  # through the peering connection
    _private_nat(snap, private_route=True)
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 3 and out["verdict"] == "inconclusive", out["explanations"]
    assert ("UNSUPPORTED_COMPONENT", "nat-0p") in {(e["code"], e["component"]) for e in out["explanations"]}


def test_the_readme_says_what_the_tool_does():
    text = " ".join((ROOT / "README.md").read_text().split("## Not yet", 1)[1].split())
    assert "private NAT gateway" in text and "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS" in text
