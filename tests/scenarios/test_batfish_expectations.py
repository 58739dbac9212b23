"""Batfish's own expected results on real AWS snapshots (../shared/datasets/batfish-aws/expected_results.json).

Each case names a start node, a destination address and a flow; Batfish's disposition is the truth.
Mapping: ACCEPTED / EXITS_NETWORK -> reachable; every other disposition -> unreachable. Batfish's
"IP protocol 0" flows become ``proto 0`` queries (TCP-only security groups deny them).

* COVERED cases use only what the model implements (ENIs, SGs, NACLs, route tables, internet
  gateways, public IPs, NAT gateways, peering, load balancers, transit gateways between VPC attachments): our verdict
  must equal Batfish's, and must not rest on a component we refuse as unmodelled.
* Every other case is listed in NOT_COVERED with the reason. For all of them that can be asked, the
  safety property still holds: we never answer "reachable" where Batfish says the flow is dropped.
* Every case of the file is in exactly one of the two lists, so none is silently ignored.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reasoner.errors import ReasonError
from reasoner.explain.aws import AwsRenderer
from reasoner.schemas import validate
from reasoner.session import Session

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "batfish-aws"
EXPECTED = DATASETS / "expected_results.json"
pytestmark = pytest.mark.skipif(not EXPECTED.is_file(), reason="../shared/datasets/batfish-aws is not present beside the project")

COVERED = {
    # gateway endpoint: the route to the S3 prefix list targets the endpoint (rules/vpc_endpoints.dl)
    ("test-vpc-endpoint-gateway", "private-to-s3-via-endpoint"), ("test-vpc-endpoint-gateway", "public-to-s3-via-endpoint"),
    ("test-vpc-endpoint-gateway", "private-to-other-aws-service"), ("test-vpc-endpoint-gateway", "public-to-other-aws-service-via-igw"),
    # an interface endpoint is an ENI with security groups: the path to it is an ordinary ENI path
    # (what lies behind the endpoint, the service, is outside the snapshot)
    ("test-vpc-endpoint-interface", "same-subnet-to-endpoint"), ("test-vpc-endpoint-interface", "other-subnet-to-endpoint"),
    ("test-subnet", "instance-to-instance"), ("test-subnet", "vpc-to-instance"),
    ("test-public-subnet", "internet-to-public-ip"), ("test-public-subnet", "internet-to-private-ip-in-snapshot"),
    ("test-public-subnet", "instance-to-internet"),
    ("test-public-private-subnet", "private-to-public-instance-private-ip"), ("test-public-private-subnet", "public-to-private"),
    ("test-public-private-subnet", "internet-to-public-ip"), ("test-public-private-subnet", "internet-to-private-ip"),
    ("test-public-private-subnet", "public-to-internet"), ("test-public-private-subnet", "public-to-site"),
    ("test-nat-gateway", "unsolicited-internet-to-nat"), ("test-nat-gateway", "same-subnet-instance-to-nat"),
    ("test-nat-gateway", "private-instance-to-internet-bidirectional"), ("test-nat-gateway", "unsupported-protocol-dropped-at-nat"),
    ("test-vpc-peering", "A-to-B"), ("test-vpc-peering", "B-to-A"),
    ("test-vpc-peering-multi-account", "A-to-B-ssh"), ("test-vpc-peering-multi-account", "B-to-A-ssh"),
    ("pybatfish-hybrid-cloud", "east2-public-to-west2-public-private-ip"),
    ("pybatfish-hybrid-cloud", "internet-to-east2-public-non-ssh-example"),
    # through the NLB: listener TCP:80 -> target group on port 22, cross-zone on (rules/load_balancers.dl)
    ("test-load-balancer", "client-to-nlb-2b-port80"), ("test-load-balancer", "client-to-nlb-2a-port80"),
    ("test-load-balancer", "client-to-nlb-2b-unlistened-port"), ("test-load-balancer", "client-to-nlb-2a-unlistened-port"),
    # through transit gateways between VPC attachments (rules/transit_gateways.dl)
    ("test-transit-gateway", "A-to-B"), ("test-transit-gateway", "B-to-A"),
    ("test-transit-gateway", "A2-to-B"),  # TGW_ROUTE_AZ_RESTRICTION: no attachment subnet in A2's zone
    ("test-transit-gateway", "B-to-A2"),
    ("test-transit-gateway-multi-table", "A-to-B"), ("test-transit-gateway-multi-table", "B-to-A"),
    ("test-transit-gateway-multi-account", "A-to-B-ssh"), ("test-transit-gateway-multi-account", "B-to-A-ssh"),
    ("test-transit-gateway-peering", "bat-to-fish"), ("test-transit-gateway-peering", "fish-to-bat"),  # no TGW route
    ("test-transit-gateway-asymmetric-paths", "bat-to-fish"), ("test-transit-gateway-asymmetric-paths", "fish-to-bat"),
}

_UNUSED_IP = "destination address owned by no ENI: refused as a query error (no host to reach), Batfish traces it to a drop"
_TGW_PEERING = "crosses a transit gateway peering attachment: not modelled, refused (UNSUPPORTED_COMPONENT)"
_VGW = "virtual private gateways / VPN / on-premises nodes are not modelled yet"
NOT_COVERED = {
    ("test-subnet", "instance-to-outside-subnet"): _UNUSED_IP,
    ("test-public-subnet", "internet-to-unassigned-public-ip"): "both ends outside the snapshot: refused as a query error",
    ("test-public-subnet", "internet-to-arbitrary-private-ip"): "both ends outside the snapshot: refused as a query error",
    ("test-public-subnet", "subnet-spoofed-private-ip-to-internet"):
        "starts at a subnet with a spoofed, unassigned source address; our subnet endpoint means its ENIs",
    ("test-public-private-subnet", "private-to-public-ip"):
        "destination named by a public IP from inside the VPC: refused (IGW_NAT_REFLECTION, ask the two halves)",
    ("test-public-private-subnet", "private-to-internet"): _VGW,
    ("test-public-private-subnet", "private-to-site"): _VGW,
    ("test-public-private-subnet", "vgw-to-public-ip"): _VGW,
    ("test-public-private-subnet", "vgw-to-public-instance"): _VGW,
    ("test-public-private-subnet", "vgw-to-private-instance"): _VGW,
    ("test-vpc-peering", "A-to-unused-subnet-in-B/C-space"): _UNUSED_IP,
    ("test-vpc-peering", "B-to-unused-subnet-in-A"): _UNUSED_IP,
    ("test-vpc-peering", "B-to-unused-ip-in-A-subnet"): _UNUSED_IP,
    ("test-vpn-gateway", "onprem-to-instance"): _VGW,
    ("test-vpn-gateway", "onprem-to-unused-ip-in-subnet"): _VGW,
    ("test-vpn-gateway", "onprem-to-ip-outside-subnets"): _VGW,
    ("test-vpn-gateway", "instance-to-onprem-default"): _VGW,
    ("test-vpn-gateway", "instance-to-vgw-underlay-ip"): _VGW,
    ("test-vpn-gateway", "internet-to-vgw-underlay-ip"): _VGW,
    ("pybatfish-hybrid-cloud", "east2-private-to-east2-public-ssh"):
        "the TGW route table also learns routes from a VPN attachment (BGP, on-premises configs not in the dataset) "
        "and the snapshot holds no TransitGatewayPropagatedRoutes: a more specific VPN route could win, so no path "
        "is claimed (UNSUPPORTED_COMPONENT)",
    ("pybatfish-hybrid-cloud", "east2-public-to-west2-public-public-ip"):
        "destination named by a public IP from inside a VPC: refused (IGW_NAT_REFLECTION, ask the two halves)",
    ("pybatfish-hybrid-cloud", "dc-srv101-to-east2-public-private-ip"): "on-premises host (device configs not in the dataset)",
    ("pybatfish-hybrid-cloud", "dc-srv101-to-east2-public-public-ip"): "on-premises host (device configs not in the dataset)",
}
NOT_COVERED[("test-transit-gateway-peering", "bat2-to-fish")] = _TGW_PEERING
NOT_COVERED[("test-transit-gateway-peering", "fish-to-bat2")] = _TGW_PEERING
NOT_COVERED[("test-load-balancer", "client-to-servers-reachability")] = (
    "a Batfish reachability question over all flows to the servers, with no single destination address")


def _cases() -> list[tuple[str, dict]]:
    if not EXPECTED.is_file():
        return []
    data = json.loads(EXPECTED.read_text())["scenarios"]
    return [(name, case) for name, sc in data.items() for case in sc["cases"]]


def _reason_of(name: str, case: dict) -> str | None:
    return NOT_COVERED.get((name, case["id"])) or NOT_COVERED.get((name, "*"))


def _query(case: dict) -> str | None:
    proto = case.get("ip_protocol", "")
    if proto.startswith("TCP"):
        flow = f"tcp {case['dst_port']}"
    elif proto.startswith("0"):
        flow = "proto 0"
    elif "IP protocol" in proto:
        flow = "proto " + proto.split("IP protocol")[1].strip(" )")
    else:
        return None
    src = case["start_node"]
    if src.startswith(("subnet-", "vpc-")) and case["src_ip"][:1].isdigit() and case["src_ip"] != "0.0.0.0":
        return None  # a spoofed source address injected at a subnet: not a question about our endpoints
    if src == "internet" and case["src_ip"][:1].isdigit():
        src = case["src_ip"]
    if "dst_ip" not in case:
        return None
    return f"{src} -> {case['dst_ip']} {flow}"


def _expect_reachable(case: dict) -> bool:
    want = case["expected_disposition"]
    return any(d in ("ACCEPTED", "EXITS_NETWORK") for d in (want if isinstance(want, list) else [want]))


_sessions: dict[str, Session] = {}


def _session(name: str, tmp_path_factory: pytest.TempPathFactory) -> Session:
    if name not in _sessions:
        src = DATASETS / name / "aws_configs"
        data = json.loads(EXPECTED.read_text())["scenarios"][name]
        only = data.get("batfish_test_loads_only")
        if isinstance(only, str):  # "Addresses, NetworkAcls, ... (.json, per account/region)"
            only = [f"{n.strip()}.json" for n in only.split("(")[0].split(",")]
        dst = tmp_path_factory.mktemp(name.replace("/", "_")) / "aws_configs"
        for f in src.rglob("*.json"):
            if only is None or f.name in only:
                (dst / f.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(f, dst / f.relative_to(src))
        _assume_open_default_nacls(dst)
        _sessions[name] = Session.open(dst.parent)
    return _sessions[name]


def _assume_open_default_nacls(root: Path) -> None:
    """Batfish reads a snapshot without NetworkAcls.json as having no network ACL (everything passes); reason
    reads it as unknown (rules/missing_data.dl: INCONCLUSIVE, never "reachable"). To compare with Batfish's
    expectations, state Batfish's assumption as data: each VPC of such a folder gets a default network ACL
    that allows everything, the AWS default ACL's own entries (vpc-network-acls.html, "Default network ACL"),
    listing each subnet of the VPC in the folder, as DescribeNetworkAcls lists a default ACL's associations."""
    for folder in {f.parent for f in root.rglob("Vpcs.json")}:
        if (folder / "NetworkAcls.json").exists():
            continue
        vpcs = json.loads((folder / "Vpcs.json").read_text())["Vpcs"]
        subnets = json.loads((folder / "Subnets.json").read_text())["Subnets"] if (folder / "Subnets.json").exists() else []
        entries = [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": eg, "CidrBlock": "0.0.0.0/0"}
                   for eg in (False, True)]
        (folder / "NetworkAcls.json").write_text(json.dumps({"NetworkAcls": [
            {"NetworkAclId": f"acl-assumed-{v['VpcId']}", "VpcId": v["VpcId"], "IsDefault": True, "Entries": entries,
             "Associations": [{"NetworkAclId": f"acl-assumed-{v['VpcId']}", "SubnetId": s["SubnetId"]}
                              for s in subnets if s["VpcId"] == v["VpcId"]]} for v in vpcs]}))


def test_every_case_is_covered_or_has_a_written_reason():
    cases = _cases()
    assert len(cases) >= 60
    for name, case in cases:
        covered, reason = (name, case["id"]) in COVERED, _reason_of(name, case)
        assert covered != bool(reason), f"{name}/{case['id']}: must be in exactly one of COVERED / NOT_COVERED"


@pytest.mark.parametrize("name,case", [(n, c) for n, c in _cases() if (n, c["id"]) in COVERED],
                         ids=lambda v: v if isinstance(v, str) else v["id"])
def test_covered_case_agrees_with_batfish(name, case, tmp_path_factory):
    q = _query(case)
    assert q is not None
    session = _session(name, tmp_path_factory)
    res = session.query(q)
    assert res.reachable == _expect_reachable(case), (q, [e.message for e in res.explanations])
    assert all(e.code != "UNSUPPORTED_COMPONENT" for e in res.explanations), "verdict rests on an unmodelled component"
    # the answer in each JSON shape fits its schema (reasoner/schemas), on real snapshots too
    validate(res.to_json())
    aws = AwsRenderer(session.analyzer, session.manifest).document(res)
    validate(aws)
    assert aws["NetworkInsightsAnalyses"][0]["NetworkPathFound"] is res.reachable


@pytest.mark.parametrize("name,case", [(n, c) for n, c in _cases() if (n, c["id"]) not in COVERED and "expected_disposition" in c
                                       and not _expect_reachable(c) and _query(c)],
                         ids=lambda v: v if isinstance(v, str) else v["id"])
def test_never_a_wrong_reachable_even_outside_the_model(name, case, tmp_path_factory):
    try:
        res = _session(name, tmp_path_factory).query(_query(case))
    except ReasonError as e:  # refused as a query error: no verdict, so no wrong "reachable"
        assert e.code.startswith("query.") or e.code.startswith("facts.")
        return
    assert not res.reachable, f"Batfish says {case['expected_disposition']}; we said reachable"
