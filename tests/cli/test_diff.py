"""`reason diff OLD NEW`: changes in reachability, each with the configuration rows on its path (issue 12)."""

import json
import shutil

from test_query import FACTS, REGION, answer, reason

FIXED = FACTS / "examples" / "seed-fixed"


def test_the_fix_of_the_shipped_bug_names_the_added_egress_rule_and_the_new_pair():
    r = reason("diff", str(FACTS), str(FIXED))
    assert r.returncode == 0 and "Traceback" not in r.stderr  # no new exposure
    assert "NOW REACHES  eni-0alb0a -> eni-0task01 tcp 8000" in r.stdout
    assert "because + sg_egress_sg(sg-0alb, 6, 8000, 8000, sg-0task)" in r.stdout
    out = answer(reason("diff", "--format", "json", str(FACTS), str(FIXED)).stdout)
    gained = [c for c in out["changes"] if c["kind"] == "gained"]
    assert {(c["src"], c["dst"], c["protocol"], tuple(c["ports"])) for c in gained} == {
        ("eni-0alb0a", "eni-0task01", "tcp", ("8000",)), ("eni-0alb0b", "eni-0task01", "tcp", ("8000",))}
    assert not out["new_exposure"] and all(c["causes"] for c in gained)
    # the reverse direction: the pairs are lost, and the removed row is named
    back = answer(reason("diff", "--format", "json", str(FIXED), str(FACTS)).stdout)
    assert {c["kind"] for c in back["changes"]} == {"lost"}
    assert all(any(x.startswith("- sg_egress_sg(sg-0alb") for x in c["causes"]) for c in back["changes"])


def test_new_exposure_to_the_internet_fails_the_gate(tmp_path):
    """Before: the ALB's security group admits nothing from the internet; after: tcp/80 from 0.0.0.0/0 (the shipped one)."""
    closed = tmp_path / "closed"
    shutil.copytree(FACTS, closed, ignore=shutil.ignore_patterns("examples"))
    path = closed / REGION / "SecurityGroups.json"
    doc = json.loads(path.read_text())
    for g in doc["SecurityGroups"]:
        if g["GroupId"] == "sg-0alb":
            g["IpPermissions"] = []
    path.write_text(json.dumps(doc))
    r = reason("diff", "--format", "json", str(closed), str(FACTS))
    out = answer(r.stdout)
    assert r.returncode == 1 and out["new_exposure"]
    exposed = [c for c in out["changes"] if c["kind"] == "exposed"]
    assert exposed and all(c["src"] == "internet" and c["ports"] == ["80"] for c in exposed)
    assert all(any(x.startswith("+ sg_ingress_cidr(sg-0alb, 6, 80, 80, 0.0.0.0/0)") for x in c["causes"])
               for c in exposed)
    r = reason("diff", str(FACTS), str(closed))
    assert r.returncode == 0 and "no longer exposed" in r.stdout


def test_diff_of_a_missing_snapshot_is_an_input_error(tmp_path):
    r = reason("diff", str(FACTS), str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_a_protocol_named_beside_an_all_traffic_rule_is_no_change(tmp_path):
    """A public ENI open to every protocol; then a second security group of it admits GRE (47) from 192.168.0.0/16.
    Its exposure is the same, but the second snapshot's rules name 47, so 47 is a class of its own there, while in
    the first it is part of the protocols no rule names: the diff said NEWLY EXPOSED ... 47 (and, the other way,
    'no longer exposed'), a CI gate failing on no change.  The class of the other protocols is named as the audits
    name it, with no ports."""
    from test_query import _bastion, _public_ip, edit, scenario, sg

    before = scenario(tmp_path / "before")
    _bastion(before)
    edit(before, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    edit(before, "SecurityGroups", lambda d: sg(d, "sg-0alb")["IpPermissions"].append(
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}))
    after = tmp_path / "after"
    shutil.copytree(before, after)
    edit(after, "SecurityGroups", lambda d: d["SecurityGroups"].append(
        {**sg(d, "sg-0alb"), "GroupId": "sg-0gre", "GroupName": "gre",
         "IpPermissions": [{"IpProtocol": "47", "IpRanges": [{"CidrIp": "192.168.0.0/16"}]}]}))
    edit(after, "NetworkInterfaces", lambda d: [n["Groups"].append({"GroupId": "sg-0gre"}) for n in d["NetworkInterfaces"]
                                                if n["NetworkInterfaceId"] == "eni-0bastion"])
    for a, b in ((before, after), (after, before)):
        r = reason("diff", "--format", "json", str(a), str(b))
        out = answer(r.stdout)
        assert r.returncode == 0 and out["changes"] == [], out["changes"]
    r = reason("diff", str(scenario(tmp_path / "closed")), str(before))
    assert r.returncode == 1 and "NEWLY EXPOSED  internet -> eni-0bastion every other protocol (from " in r.stdout, r.stdout


def _covers(ranges: list[str], ip: str) -> bool:
    """Whether one of ``ranges`` (a CIDR, or lo-hi) holds ``ip``."""
    import ipaddress

    def bounds(text: str) -> tuple:
        if "/" in text:
            net = ipaddress.ip_network(text)
            return net[0], net[-1]
        lo, hi = text.split("-")
        return ipaddress.ip_address(lo), ipaddress.ip_address(hi)
    addr = ipaddress.ip_address(ip)
    return any(lo <= addr <= hi for lo, hi in map(bounds, ranges) if lo.version == addr.version)


def _public_bastion(snap, ssh_from: str) -> None:
    from test_query import _bastion, _public_ip, edit, sg

    _bastion(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    edit(snap, "SecurityGroups", lambda d: sg(d, "sg-0alb")["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": ssh_from}]}))


def test_an_exposure_opened_to_more_of_the_internet_on_the_same_port_fails_the_gate(tmp_path):
    """SSH from an office's 203.0.113.0/24, then from 0.0.0.0/0: the ENI was exposed on tcp 22 before and after, and
    the diff compared ENI, protocol and ports only: "0 change(s)", exit 0, at the CI gate.  The addresses that newly
    reach the port are the change."""
    from test_query import scenario

    before, after = scenario(tmp_path / "before"), scenario(tmp_path / "after")
    _public_bastion(before, "203.0.113.0/24")
    _public_bastion(after, "0.0.0.0/0")
    r = reason("diff", "--format", "json", str(before), str(after))
    out = answer(r.stdout)
    assert r.returncode == 1 and out["new_exposure"], out
    (change,) = [c for c in out["changes"] if c["kind"] == "exposed"]
    assert (change["dst"], change["protocol"], change["ports"]) == ("eni-0bastion", "tcp", ["22"])
    assert _covers(change["sources"], "8.8.8.8") and not _covers(change["sources"], "203.0.113.7"), change["sources"]
    back = answer(reason("diff", "--format", "json", str(after), str(before)).stdout)
    assert [(c["kind"], c["ports"]) for c in back["changes"] if c["src"] == "internet"] == [("unexposed", ["22"])]


def test_a_protocol_opened_when_its_only_rule_is_removed_is_a_change(tmp_path):
    """An inbound network ACL entry denies GRE (47) beside an all-traffic security group; then it is removed.  In the
    new snapshot no rule names 47, so it is in the class of the other protocols, which was exposed before too (with 47
    outside it): "0 change(s)", exit 0, though `internet -> bastion proto 47` went from unreachable to reachable."""
    from test_query import edit, scenario, sg

    before, after = scenario(tmp_path / "before"), scenario(tmp_path / "after")
    for snap in (before, after):
        _public_bastion(snap, "0.0.0.0/0")
        edit(snap, "SecurityGroups", lambda d: sg(d, "sg-0alb")["IpPermissions"].append(
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}))
    edit(before, "NetworkAcls", lambda d: d["NetworkAcls"][0]["Entries"].append(
        {"RuleNumber": 10, "Egress": False, "Protocol": "47", "RuleAction": "deny", "CidrBlock": "0.0.0.0/0"}))
    r = reason("diff", "--format", "json", str(before), str(after))
    out = answer(r.stdout)
    assert r.returncode == 1 and ("exposed", "eni-0bastion", "47") in {(c["kind"], c["dst"], c["protocol"])
                                                                       for c in out["changes"]}, out["changes"]
    back = answer(reason("diff", "--format", "json", str(after), str(before)).stdout)
    assert ("unexposed", "eni-0bastion", "47") in {(c["kind"], c["dst"], c["protocol"]) for c in back["changes"]}


def _web_admits(snap, ranges: dict, port: int = 443) -> None:
    """sg-web (facts/examples/dual-stack: tcp 443 from ::/0 only) admits tcp ``port`` from ``ranges`` instead."""
    from test_query import edit, sg

    edit(snap, "SecurityGroups", lambda d: sg(d, "sg-web").update(IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **ranges}]))


def test_a_pair_that_gains_or_loses_an_address_family_is_a_change(tmp_path):
    """eni-app -> eni-web reached tcp 443 over IPv6 only; then sg-web admits 10.0.0.0/16 too (or instead).  The diff
    compared ports per pair and protocol, not per family: "0 change(s) in reachability" though `eni-app -> eni-web
    tcp 443 ipv4` went from unreachable to reachable (security group rules match per address family)."""
    from test_query import scenario

    dual = FACTS / "examples" / "dual-stack"
    v4too, v4only = scenario(tmp_path / "v4too", dual), scenario(tmp_path / "v4only", dual)
    _web_admits(v4too, {"IpRanges": [{"CidrIp": "10.0.0.0/16"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]})
    _web_admits(v4only, {"IpRanges": [{"CidrIp": "10.0.0.0/16"}]})
    r = reason("diff", str(dual), str(v4too))
    assert r.returncode == 0 and "NOW REACHES  eni-app -> eni-web tcp 443 over IPv4\n" in r.stdout, r.stdout
    assert "1 change(s) in reachability" in r.stdout and "IPv6" not in r.stdout, r.stdout
    out = answer(reason("diff", "--format", "json", str(dual), str(v4too)).stdout)
    assert [(c["kind"], c["src"], c["dst"], c["protocol"], c["ports"], c.get("family")) for c in out["changes"]] == [
        ("gained", "eni-app", "eni-web", "tcp", ["443"], "ipv4")], out["changes"]
    assert any(x.startswith("+ sg_ingress_cidr(sg-web, 6, 443, 443, 10.0.0.0/16)") for x in out["changes"][0]["causes"])
    # IPv6 swapped for IPv4: one family gained, the other lost (and the internet's IPv6 exposure gone)
    r = reason("diff", "--format", "json", str(dual), str(v4only))
    pairs = {(c["kind"], c["src"], c["dst"], c.get("family")) for c in answer(r.stdout)["changes"] if c["src"] != "internet"}
    assert r.returncode == 0 and pairs == {("gained", "eni-app", "eni-web", "ipv4"), ("lost", "eni-app", "eni-web", "ipv6")}
    r = reason("diff", str(v4only), str(dual))
    assert "NOW REACHES  eni-app -> eni-web tcp 443 over IPv6" in r.stdout, r.stdout
    assert "no longer reaches  eni-app -> eni-web tcp 443 over IPv4" in r.stdout, r.stdout


def test_a_pair_that_gains_a_port_over_both_families_names_no_family(tmp_path):
    """A port gained alike over IPv4 and IPv6 is one change, worded as before (no family)."""
    from test_query import scenario

    dual = FACTS / "examples" / "dual-stack"
    after = scenario(tmp_path / "after", dual)
    _web_admits(after, {"IpRanges": [{"CidrIp": "10.0.0.0/16"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}, 8443)
    out = answer(reason("diff", "--format", "json", str(dual), str(after)).stdout)
    gained = [c for c in out["changes"] if c["kind"] == "gained"]
    assert [(c["src"], c["dst"], c["ports"], "family" in c) for c in gained] == [
        ("eni-app", "eni-web", ["8443"], False)], out["changes"]
