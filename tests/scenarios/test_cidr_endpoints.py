"""A CIDR as a side of a query (reasoner/query/names.py ``Resolver._cidr``), on the dual-stack snapshot (dualstack.py)
with an office range allowed to eni-web on tcp 22.

A range of public addresses outside the snapshot's VPCs is the internet restricted to it: its representative
addresses are cut at the range's bounds as well as at every rule's (reasoner/explain/space.py), so a verdict covers
every address of the range and none outside it. A range inside the VPCs (or private) is the set of ENIs with an
address in it, named by those addresses. A range holding both is refused, never read as one of them. Security
group rules match the source address against their CIDRs ("the source ... can be a single IPv4 address or a range
of addresses in CIDR block notation", security-group-rules.html).
"""

from __future__ import annotations

import ipaddress
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import dualstack  # noqa: E402
from dualstack import group  # noqa: E402
from test_ipv6 import reason  # noqa: E402  (the CLI in a subprocess, from the repository)

from reasoner.schemas import validate  # noqa: E402

OFFICE = "203.0.113.0/24"


def _office(docs: dict) -> None:
    group(docs, "sg-web")["IpPermissions"].append({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                                   "IpRanges": [{"CidrIp": OFFICE}]})
    web = docs["NetworkInterfaces"]["NetworkInterfaces"][0]
    web["Association"] = {"PublicIp": "54.0.0.10"}


@pytest.fixture(scope="module")
def snap(tmp_path_factory) -> Path:
    return dualstack.write(tmp_path_factory.mktemp("cidr"), _office)


def ask(snap: Path, q: str, env: dict | None = None, *more: str) -> tuple[int, dict]:
    r = reason("query", "--facts", str(snap), "--format", "json", *more, q, env=env)
    assert r.returncode in (0, 1, 3), r.stderr
    doc = json.loads(r.stdout)
    validate(doc)
    return r.returncode, doc


def _in(ip: str, cidr: str) -> bool:
    return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr)


@pytest.mark.parametrize("engine", ["point", "set"])
def test_the_allowed_range_reaches_and_another_is_blocked_by_the_security_group(snap, engine):
    env = {"REASON_ENGINE": engine}
    code, doc = ask(snap, f"{OFFICE} -> eni-web tcp 22", env)
    assert code == 0 and doc["reachable"] and _in(doc["packet"]["src_ip"], OFFICE), doc["packet"]
    code, doc = ask(snap, "198.51.100.0/24 -> eni-web tcp 22", env)
    assert code == 1 and not doc["reachable"] and _in(doc["packet"]["src_ip"], "198.51.100.0/24")
    assert [(e["code"], e["component"]) for e in doc["explanations"]] == [("ENI_SG_RULES_MISMATCH", "sg-web")]


def test_a_range_around_the_rule_gets_through_only_inside_the_rule(snap):
    """203.0.112.0/23 holds the office /24 and the /24 before it: --all lists only classes inside the office range,
    and every class the set engine evaluated lies inside the /23."""
    code, doc = ask(snap, "203.0.112.0/23 -> eni-web tcp 22", None, "--all")
    assert code == 0 and doc["classes"], doc
    for c in doc["classes"]:
        lo, hi = c["src_ips"] if isinstance(c["src_ips"], list) else c["src_ips"].split("-")
        assert _in(lo, OFFICE) and _in(hi, OFFICE), c
    # the same question about the half outside the rule: nothing gets through
    code, doc = ask(snap, "203.0.112.0/24 -> eni-web tcp 22")
    assert code == 1 and not doc["reachable"]


def test_an_isolation_proof_over_a_range_holds_and_rechecks_and_a_false_one_fails(snap, tmp_path):
    good = tmp_path / "good.reason"
    good.write_text("assert unreachable 198.51.100.0/24 -> eni-web tcp 22\n")
    proof = tmp_path / "proof.json"
    r = reason("verify", str(good), "--facts", str(snap), "--proof", str(proof))
    assert r.returncode == 0 and "proof of isolation" in r.stdout, r.stdout + r.stderr
    doc = json.loads(proof.read_text())
    ips = [c["src_ips"] for a in doc["assertions"] for g in a["classes"] for c in g["classes"]]
    assert ips and all(_in(lo, "198.51.100.0/24") and _in(hi, "198.51.100.0/24") for lo, hi in ips), ips
    r = reason("recheck", str(proof), "--facts", str(snap))
    assert r.returncode == 0, r.stdout + r.stderr
    bad = tmp_path / "bad.reason"
    bad.write_text("assert unreachable 203.0.112.0/23 -> eni-web tcp 22\n")
    r = reason("verify", str(bad), "--facts", str(snap))
    assert r.returncode == 1 and "FAIL" in r.stdout, r.stdout + r.stderr


def test_an_ipv6_range_on_the_internet_and_one_inside_the_vpc(snap):
    # sg-web admits tcp 443 from ::/0: any global IPv6 range reaches it
    code, doc = ask(snap, "2001:db8::/32 -> eni-web tcp 443")
    assert code == 0 and _in(doc["packet"]["src_ip"], "2001:db8::/32")
    # the private subnet's IPv6 range is its ENIs: eni-app, from its own IPv6 address
    code, doc = ask(snap, "2600:1f18:aaaa:bb02::/64 -> eni-web tcp 443")
    assert code == 0 and doc["packet"]["src_ip"] == dualstack.APP6


def test_a_private_range_is_the_enis_with_an_address_in_it_of_that_family_only(snap):
    # 10.0.0.0/8 is private throughout (the VPC's 10.0.0.0/16 and addresses no ENI has): its ENIs
    code, doc = ask(snap, "10.0.0.0/8 -> eni-app tcp 443")
    assert code == 0 and doc["packet"]["src_ip"] == "10.0.1.10"
    # eni-app's IPv4 address is in 10.0.2.0/24; sg-web admits 443 from ::/0 only: no IPv4 packet gets in
    code, doc = ask(snap, "10.0.2.0/24 -> eni-web tcp 443")
    assert code == 1 and doc["packet"]["src_ip"] == "10.0.2.20"
    # sg-app admits 443 from 10.0.0.0/16: eni-web's IPv4 address is in the VPC's range
    code, doc = ask(snap, "10.0.0.0/16 -> eni-app tcp 443")
    assert code == 0 and doc["packet"]["src_ip"] == "10.0.1.10"


@pytest.mark.parametrize("text, code, message", [
    ("0.0.0.0/0", "query.mixed_cidr", "holds both internet addresses and addresses of the snapshot's VPCs"),
    ("100.0.0.0/6", "query.mixed_cidr", "holds both"),  # public addresses and 100.64.0.0/10 (shared, RFC 6598)
    ("203.0.113.7/24", "query.bad_cidr", "did you mean 203.0.113.0/24?"),
    ("10.0.0.0/33", "query.bad_cidr", "is not an address range"),
    ("10.0.9.0/24", "query.empty_set", "no network interface in the snapshot has an address in 10.0.9.0/24"),
])
def test_a_range_that_is_not_one_kind_or_not_a_range_is_an_input_error(snap, text, code, message):
    r = reason("query", "--facts", str(snap), f"{text} -> eni-web tcp 22")
    assert r.returncode == 2 and f"error[{code}]" in r.stderr and message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_one_address_as_a_range_is_that_address(snap):
    """54.0.0.10/32 is eni-web's public IP, named as one address is: the ENI, not an internet host."""
    one = reason("query", "--facts", str(snap), "--format", "json", "54.0.0.10/32 -> eni-app tcp 443")
    plain = reason("query", "--facts", str(snap), "--format", "json", "54.0.0.10 -> eni-app tcp 443")
    assert one.returncode == plain.returncode and json.loads(one.stdout)["packet"] == json.loads(plain.stdout)["packet"]


def test_pairs_are_not_grouped_when_an_eni_owns_the_first_address_of_the_range(snap):
    """The range's first address is a representative no other question uses; an ENI owning it (its Elastic IP)
    would be moved by a swap, so factoring is off for that question (reasoner/explain/factor.py)."""
    from reasoner.explain.paths import INTERNET, Endpoint
    from reasoner.session import Session

    session = Session.open(snap)
    f = session.analyzer.factoring
    dsts = session.endpoints.resolve("*")
    owned = int(ipaddress.ip_address("54.0.0.10"))
    assert any(owned in ns for ns in f.classes.numbers.values())
    assert not f._factored([Endpoint(INTERNET, None, within=(owned, owned + 255))], dsts)
    assert f._factored([Endpoint(INTERNET, None, within=(owned + 256, owned + 511))], dsts)


def test_a_public_range_as_destination_is_reached_at_an_address_of_it(snap):
    """eni-web (public IP 54.0.0.10, all outbound allowed, a route to the internet gateway) reaches the range at one of
    its addresses; eni-app (private subnet, no IPv4 route out) does not, at any of them."""
    code, doc = ask(snap, "eni-web -> 198.51.100.0/24 tcp 443")
    assert code == 0 and _in(doc["packet"]["dst_ip"], "198.51.100.0/24")
    code, doc = ask(snap, "eni-app -> 198.51.100.0/24 tcp 443 ipv4")
    assert code == 1 and _in(doc["packet"]["dst_ip"], "198.51.100.0/24")


def test_an_alias_may_name_a_range(snap, tmp_path):
    import shutil

    named = tmp_path / "named"
    shutil.copytree(snap, named)
    (named / "reason.toml").write_text(f'[aliases]\noffice = "{OFFICE}"\n')
    code, doc = ask(named, "office -> eni-web tcp 22")
    assert code == 0 and _in(doc["packet"]["src_ip"], OFFICE) and doc["query"] == "office -> eni-web tcp 22"


def _rules_for_ranges(docs: dict) -> None:
    """sg-web admits tcp 22 from a few pieces of 203.0.113.0/24 and 198.51.100.0/24; its network ACL denies one
    /29 inside an admitted piece, before the allow-all entry."""
    group(docs, "sg-web")["IpPermissions"].append({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [
        {"CidrIp": c} for c in ("203.0.113.0/25", "203.0.113.192/26", "198.51.100.7/32", "198.51.100.64/27")]})
    acl = docs["NetworkAcls"]["NetworkAcls"][0]
    acl["Entries"].insert(0, {"RuleNumber": 50, "Protocol": "-1", "RuleAction": "deny", "Egress": False,
                              "CidrBlock": "203.0.113.200/29"})
    docs["NetworkInterfaces"]["NetworkInterfaces"][0]["Association"] = {"PublicIp": "54.0.0.10"}


@pytest.fixture(scope="module")
def ranges_session(tmp_path_factory):
    from reasoner.session import Session

    return Session.open(dualstack.write(tmp_path_factory.mktemp("ranges"), _rules_for_ranges))


def test_a_range_is_reachable_exactly_when_one_of_its_addresses_is(ranges_session):
    """The verdict for a public range agrees with the verdicts of its addresses asked one by one (a different path:
    one internet address, no cut at the range's bounds): unreachable means no probed address gets through, and
    reachable names a packet from an address of the range that gets through on its own. Ranges of every length
    from /20 to /30 around the rules' pieces; probes at both ends and inside."""
    from hypothesis import given, settings, strategies as st

    session = ranges_session

    @settings(max_examples=60, deadline=None, derandomize=True)
    @given(base=st.sampled_from(["203.0.113.0", "203.0.113.200", "198.51.100.0", "198.51.100.64", "192.0.2.0"]),
           prefix=st.integers(20, 30), probes=st.lists(st.integers(0, 4095), min_size=2, max_size=6))
    def check(base, prefix, probes):
        net = ipaddress.ip_network(f"{base}/{prefix}", strict=False)
        res = session.query(f"{net} -> eni-web tcp 22", depth=0)
        addrs = {net.network_address, net.broadcast_address} | {net.network_address + p % net.num_addresses for p in probes}
        reached = {a for a in addrs if session.query(f"{a} -> eni-web tcp 22", depth=0).reachable}
        if res.reachable:
            src = ipaddress.ip_address(res.packet["src_ip"])
            assert src in net and session.query(f"{src} -> eni-web tcp 22", depth=0).reachable, (str(net), str(src))
            seen.add(True)
        else:
            assert not reached, (str(net), sorted(map(str, reached)))
            seen.add(False)

    seen: set[bool] = set()
    check()
    assert seen == {True, False}  # both verdicts were asked about, so neither branch is vacuous
