"""IPv6 prefixes delegated to ENIs ("Assign prefixes to network interfaces", ec2-prefix-eni.html: /80s, the pod
addresses of EKS in IPv6 mode): every address of the prefix is the ENI's.  They were skipped on import (counted in
the manifest only), so a question about the ENI covered its own address and a proof of isolation said nothing of
its pods.  Now the prefix is cut at every value the snapshot and the rules hold inside it, and the first address of
each piece is asked (reasoner/explain/prefix_addresses.py)."""

from __future__ import annotations

import ipaddress

import dualstack
from dualstack import APP6, group
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ipv6 import ask, reason

from reasoner.facts.importer import import_aws_configs
from reasoner.session import Session

POD_PREFIX = "2600:1f18:aaaa:bb02:1::/80"


def _pods(docs):
    docs["NetworkInterfaces"]["NetworkInterfaces"][1]["Ipv6Prefixes"] = [{"Ipv6Prefix": POD_PREFIX}]  # eni-app's


def _deny_in(*cidrs: str):
    """acl-ds denies inbound TCP 443 from each of ``cidrs`` before anything else (rules 80, 81, ...)."""
    def edit(docs):
        entries = docs["NetworkAcls"]["NetworkAcls"][0]["Entries"]
        for i, cidr in enumerate(cidrs):
            entries.insert(0, {"RuleNumber": 80 + i, "Protocol": "6", "RuleAction": "deny", "Egress": False,
                               "Ipv6CidrBlock": cidr, "PortRange": {"From": 443, "To": 443}})
    return edit


def _v6(text: str) -> int:
    return int(ipaddress.IPv6Address(text))


def test_the_import_keeps_the_prefix(tmp_path):
    snap = import_aws_configs(dualstack.write(tmp_path, _pods))
    net = ipaddress.IPv6Network(POD_PREFIX)
    assert snap.relations["eni_ipv6_prefix"] == [("eni-app", int(net.network_address), int(net.broadcast_address))]
    assert snap.manifest["skipped_ipv6"] == 0


def test_traffic_from_a_pod_address_is_the_enis(tmp_path):
    snap = dualstack.write(tmp_path / "own", _deny_in(APP6 + "/128"))
    assert ask(snap, "eni-app -> eni-web tcp 443 ipv6")[0] == 1  # its own address is denied; no pods
    snap = dualstack.write(tmp_path / "pods", _pods, _deny_in(APP6 + "/128"))
    code, doc = ask(snap, "eni-app -> eni-web tcp 443 ipv6")
    assert code == 0 and ipaddress.IPv6Address(doc["packet"]["src_ip"]) in ipaddress.IPv6Network(POD_PREFIX), doc
    assert doc["packet_class"]["src_ips"] == POD_PREFIX  # the class is the piece the address stands for: all of it
    assert not any("IPv6 item" in w for w in doc["warnings"])


def test_the_prefix_is_cut_where_a_rule_cuts_it(tmp_path):
    """A NACL entry denying the prefix's first /96: the pieces after it are asked too (one address per piece)."""
    snap = dualstack.write(tmp_path, _pods, _deny_in(APP6 + "/128", "2600:1f18:aaaa:bb02:1::/96"))
    code, doc = ask(snap, "eni-app -> eni-web tcp 443 ipv6")
    assert code == 0 and doc["packet"]["src_ip"] == "2600:1f18:aaaa:bb02:1:1::", doc["packet"]  # the /96's end + 1
    assert doc["packet_class"]["src_ips"] == "2600:1f18:aaaa:bb02:1:1::-2600:1f18:aaaa:bb02:1:ffff:ffff:ffff"
    snap = dualstack.write(tmp_path / "all", _pods, _deny_in(APP6 + "/128", POD_PREFIX))
    code, doc = ask(snap, "eni-app -> eni-web tcp 443 ipv6")
    assert code == 1 and ("SUBNET_ACL_RESTRICTION", "acl-ds") in {(e["code"], e["component"]) for e in doc["explanations"]}


def test_an_isolation_proof_speaks_for_the_pods(tmp_path):
    asserts = tmp_path / "iso.reason"
    asserts.write_text("assert unreachable eni-app -> eni-web tcp 443 ipv6\n")
    snap = dualstack.write(tmp_path / "own", _deny_in(APP6 + "/128"))
    assert reason("verify", "--facts", str(snap), str(asserts)).returncode == 0  # true: no pods
    snap = dualstack.write(tmp_path / "pods", _pods, _deny_in(APP6 + "/128"))
    r = reason("verify", "--facts", str(snap), str(asserts))
    assert r.returncode == 1 and "counterexample: [2600:1f18:aaaa:bb02:1::]:" in r.stdout, r.stdout + r.stderr


def test_a_pod_address_names_its_eni(tmp_path):
    snap = dualstack.write(tmp_path, _pods)
    code, doc = ask(snap, "2600:1f18:aaaa:bb02:1:: -> eni-web tcp 443")
    assert code == 0 and doc["packet"]["src_ip"] == "2600:1f18:aaaa:bb02:1::"


def test_rules_that_could_tell_a_prefixs_addresses_apart_leave_it_unasked_and_say_so(tmp_path):
    """A policy rule doing arithmetic on an ENI's address breaks the argument (the symmetry gate refuses it): the
    prefix's addresses are not added, and the answers warn, naming the rule."""
    snap = dualstack.write(tmp_path, _pods)
    policy = tmp_path / "odd.dl"
    policy.write_text('violation(E, "odd address") :- eni_ip(E, Ip), Ip % 2 = 1.\n')
    asserts = tmp_path / "a.reason"
    asserts.write_text("assert reachable eni-app -> eni-web tcp 443 ipv6\n")
    r = reason("verify", "--facts", str(snap), str(asserts), str(policy))
    assert "IPv6 prefix(es) delegated to ENIs are not asked" in r.stderr and "odd.dl" in r.stderr, r.stdout + r.stderr


def test_another_address_of_the_prefix_is_refused_with_what_to_ask(tmp_path):
    snap = dualstack.write(tmp_path, _pods)
    r = reason("query", "--facts", str(snap), "2600:1f18:aaaa:bb02:1::5 -> eni-web tcp 443")
    assert r.returncode == 2 and "query.prefix_address" in r.stderr and f"ask eni-app, or the prefix: {POD_PREFIX}" in r.stderr
    r = reason("query", "--facts", str(snap), f"{POD_PREFIX} -> eni-web tcp 443")
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_set_engine_and_pydatalog_agree_on_the_prefix(tmp_path):
    snap = dualstack.write(tmp_path, _pods, _deny_in(APP6 + "/128", "2600:1f18:aaaa:bb02:1::/96"))
    for q in ("* -> eni-web tcp 443", "eni-app -> * any", "eni-app -> eni-web any"):
        point = ask(snap, q, {"REASON_ENGINE": "point"})
        dset = ask(snap, q, {"REASON_ENGINE": "set"})
        assert point[0] == dset[0] and point[1]["packet"] == dset[1]["packet"], q


# -- the cut argument, against addresses asked one by one -----------------------------------------------------

_NET = ipaddress.IPv6Network(POD_PREFIX)


@st.composite
def _blocks(draw) -> str:
    """A CIDR inside the pod prefix (a /81 to a /128 at a random place), or one around it."""
    plen = draw(st.integers(78, 128))
    if plen <= 80:
        return str(ipaddress.IPv6Network((int(_NET.network_address), plen), strict=False))
    offset = draw(st.integers(0, _NET.num_addresses - 1))
    return str(ipaddress.IPv6Network((int(_NET.network_address) + offset, plen), strict=False))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(st.tuples(_blocks(), st.sampled_from(["allow", "deny"])), min_size=1, max_size=4),
       sg_block=st.one_of(st.none(), _blocks()), pick=st.integers(0, _NET.num_addresses - 1))
def test_an_address_of_the_prefix_that_gets_through_is_found_by_the_pieces(tmp_path_factory, entries, sg_block, pick):
    """Random NACL entries (and an SG rule) cutting the prefix anywhere: whenever one address of the prefix, listed as
    an address of the ENI, gets through, the prefix's pieces find a way through too (an UNREACHABLE for the prefix
    is one for every address of it)."""
    def nacl(docs):
        rows = docs["NetworkAcls"]["NetworkAcls"][0]["Entries"]
        rows.insert(0, {"RuleNumber": 60, "Protocol": "6", "RuleAction": "deny", "Egress": False,
                        "Ipv6CidrBlock": APP6 + "/128", "PortRange": {"From": 443, "To": 443}})
        for i, (cidr, action) in enumerate(entries):
            rows.insert(0, {"RuleNumber": 61 + i, "Protocol": "6", "RuleAction": action, "Egress": False,
                            "Ipv6CidrBlock": cidr, "PortRange": {"From": 443, "To": 443}})
        if sg_block is not None:
            group(docs, "sg-web")["IpPermissions"] = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                                       "Ipv6Ranges": [{"CidrIpv6": sg_block}]}]

    address = str(ipaddress.IPv6Address(int(_NET.network_address) + pick))

    def one(docs):
        docs["NetworkInterfaces"]["NetworkInterfaces"][1]["Ipv6Addresses"].append({"Ipv6Address": address})

    q = "eni-app -> eni-web tcp 443 ipv6"
    alone = Session.open(dualstack.write(tmp_path_factory.mktemp("one"), nacl, one)).query(q, depth=0, detail=False)
    pieces = Session.open(dualstack.write(tmp_path_factory.mktemp("pods"), nacl, _pods)).query(q, depth=0, detail=False)
    if alone.verdict == "reachable":
        assert pieces.verdict == "reachable", (entries, sg_block, address)
