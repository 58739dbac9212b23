"""`exposed` and `can_reach` in policies (issue 12, item 1): computed over the whole snapshot by the set engine
before the policy runs, with the meaning of `reason audit exposure` and `reason query "* -> *" --all`."""

from test_query import FACTS, answer, reason

FIXED = FACTS / "examples" / "seed-fixed"


def rows(tmp_path, text: str, facts=FACTS):
    f = tmp_path / "p.dl"
    f.write_text(text)
    r = reason("verify", str(f), "--facts", str(facts), "--format", "json")
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, sorted(tuple(v["row"]) for v in answer(r.stdout)["violations"])


def test_the_issue_policy_is_refused_instead_of_passing_silently(tmp_path):
    f = tmp_path / "open.dl"
    f.write_text('violation(E, "open") :- reach("internet", E, _, _, _, _, _).\n')
    r = reason("verify", str(f))
    assert r.returncode == 2 and "open.dl:1:25: error[per_query_in_policy]" in r.stderr
    assert "use exposed(eni, proto, port_lo, port_hi)" in r.stderr and "Traceback" not in r.stderr


def test_exposed_holds_for_the_load_balancer_nodes_on_their_listener_port(tmp_path):
    code, found = rows(tmp_path, 'violation(E, "web") :- exposed(E, "6", Lo, Hi), Lo <= 80, 80 <= Hi.\n'
                                 'violation(E, "ssh") :- exposed(E, "6", Lo, Hi), Lo <= 22, 22 <= Hi.\n')
    assert code == 1 and found == [("eni-0alb0a", "web"), ("eni-0alb0b", "web")]


def test_a_protocol_by_name_finds_what_its_number_finds(tmp_path):
    """Issue 12: "tcp" (any case) where the column holds "6", in an atom and in a comparison."""
    by_number = rows(tmp_path, 'violation(E, "web") :- exposed(E, "6", Lo, Hi), Lo <= 80, 80 <= Hi.\n')
    assert by_number[1]
    assert rows(tmp_path, 'violation(E, "web") :- exposed(E, "TCP", Lo, Hi), Lo <= 80, 80 <= Hi.\n') == by_number
    assert rows(tmp_path, 'violation(E, "web") :- exposed(E, P, Lo, Hi), P = "tcp", Lo <= 80, 80 <= Hi.\n') == by_number
    assert rows(tmp_path, 'violation(E, "web") :- exposed(E, "udp", Lo, Hi), Lo <= 80, 80 <= Hi.\n') == (0, [])


def test_can_reach_shows_the_alb_egress_bug_and_its_fix(tmp_path):
    policy = ('violation(D, "alb reaches the task") :- can_reach(S, D, "6", Lo, Hi), Lo <= 8000, 8000 <= Hi, '
              'lb_eni(_, S).\n')
    assert rows(tmp_path, policy) == (0, [])  # the shipped snapshot: the ALB's SG has no egress
    code, found = rows(tmp_path, policy, FIXED)
    assert code == 1 and {d for d, _ in found} == {"eni-0task01"}


def _demand_and_rows(tmp_path, text: str, facts):
    """The policy's can_reach demand, the rows computed for it, and every can_reach row (``* -> * any``)."""
    from reasoner.explain.policy_facts import can_reach_rows, demand
    from reasoner.session import Session

    f = tmp_path / "d.dl"
    f.write_text(text)
    session = Session.open(facts, extra_rules=[f])
    need = demand(session)
    return need, can_reach_rows(session, *need), can_reach_rows(session)


def test_can_reach_is_computed_only_for_what_a_policy_can_read_and_loses_no_row_it_reads(tmp_path):
    """A destination bound by a settled atom (lb_eni, a tag) restricts the pairs evaluated; the rows kept are
    exactly the full relation's rows to those destinations, so the policy's result cannot change."""
    policy = 'violation(D, "m") :- can_reach(S, D, "6", _, _), lb_eni(_, D).\n'
    (srcs, dsts), restricted, full = _demand_and_rows(tmp_path, policy, FIXED)
    assert srcs is None and dsts == {"eni-0alb0a", "eni-0alb0b"}
    assert restricted == [r for r in full if r[1] in dsts] and restricted and len(restricted) < len(full)
    # a source given as a constant and a destination bound only through `=`: the source only, every destination
    policy = 'violation(D, "m") :- can_reach("eni-0task01", X, _, _, _), D = X.\n'
    (srcs, dsts), restricted, full = _demand_and_rows(tmp_path, policy, FIXED)
    assert srcs == {"eni-0task01"} and dsts is None
    assert restricted == [r for r in full if r[0] == "eni-0task01"]


def test_a_destination_bound_by_a_relation_computed_from_reachability_is_not_restricted(tmp_path):
    """`exposed` is filled after the demand is read: restricting by it would read it empty."""
    policy = 'violation(D, "m") :- exposed(D, _, _, _), can_reach(_, D, _, _, _).\n'
    (srcs, dsts), _, _ = _demand_and_rows(tmp_path, policy, FIXED)
    assert srcs is None and dsts is None


def test_a_database_reachable_from_a_peered_vpc_is_reported_and_not_from_its_own(tmp_path):
    """NET-006 (policies/baseline/databases.dl) on its fixture: eni-0db (tier=db) in vpc-0peer is reached by the
    task across pcx-1.  Without the peering's route back, nothing is reported (connections need the answer)."""
    import json
    import shutil

    from test_query import ROOT

    pack = ROOT / "policies" / "baseline"
    fixture = pack / "tests" / "db-peered-vpc"

    def found(facts):
        r = reason("verify", str(pack), "--facts", str(facts), "--format", "json")
        return r.returncode, sorted(tuple(v["row"]) for v in answer(r.stdout)["violations"])

    assert found(fixture) == (1, [("eni-0db", "database tagged eni reachable from another VPC")])
    snap = tmp_path / "snap"
    shutil.copytree(fixture, snap)
    path = snap / "aws_configs" / "us-east-1" / "RouteTables.json"
    doc = json.loads(path.read_text())
    for t in doc["RouteTables"]:
        if t["RouteTableId"] == "rtb-peer":
            t["Routes"] = [r for r in t["Routes"] if "VpcPeeringConnectionId" not in r]
    path.write_text(json.dumps(doc))
    assert found(snap) == (0, [])


def test_eni_tag_gives_a_load_balancer_node_its_load_balancers_tag(tmp_path):
    """rules/tags.dl: a policy over tags reads eni_tag, which gives the ENIs AWS creates for a load balancer (or an ECS
    task) their owner's tags; tag(E, ...) holds only for the ENI's own tags, which such ENIs do not have."""
    import json
    import shutil

    snap = tmp_path / "snap"
    shutil.copytree(FACTS, snap)
    region = snap / "aws_configs" / "us-east-1"
    [lb] = json.loads((region / "LoadBalancers.json").read_text())["LoadBalancers"]
    (region / "LoadBalancerTags.json").write_text(json.dumps({"LoadBalancerTags": [
        {"ResourceArn": lb["LoadBalancerArn"], "TagDescriptions": [
            {"ResourceArn": lb["LoadBalancerArn"], "Tags": [{"Key": "tier", "Value": "edge"}]}]}]}))
    exposed = 'exposed(E, "6", Lo, Hi), Lo <= 80, 80 <= Hi'
    code, found = rows(tmp_path, f'violation(E, "edge on 80") :- {exposed}, eni_tag(E, "tier", "edge").\n', snap)
    assert code == 1 and found == [("eni-0alb0a", "edge on 80"), ("eni-0alb0b", "edge on 80")]
    assert rows(tmp_path, f'violation(E, "edge on 80") :- {exposed}, tag(E, "tier", "edge").\n', snap) == (0, [])


def test_every_protocol_no_rule_names_is_minus_one_as_documented(tmp_path):
    """rules/policy_relations.dl: `exposed` and `can_reach` hold "-1" for the protocols no rule names.  They held
    the class's example number, "0", so a policy written as documented never fired on an all-traffic exposure."""
    import json
    import shutil

    snap = tmp_path / "snap"
    shutil.copytree(FIXED, snap)
    path = snap / "aws_configs" / "us-east-1" / "SecurityGroups.json"
    doc = json.loads(path.read_text())
    for g in doc["SecurityGroups"]:  # every protocol from anywhere into the ALB's nodes and into the task
        g["IpPermissions"].append({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
        g["IpPermissionsEgress"] = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    path.write_text(json.dumps(doc))
    code, found = rows(tmp_path, 'violation(S, "every protocol") :- can_reach(S, D, "-1", 0, 65535), lb_eni(_, D).\n', snap)
    assert code == 1 and {s for s, _ in found} == {"eni-0task01", "eni-0alb0a", "eni-0alb0b"}, found  # (the nodes: each other)
    # a protocol a policy names is its own class since the twenty-seventh session: protocol 0 asked by its number holds
    # where an all-traffic rule admits it (before, "0" matched nothing: it was folded into "-1")
    code, found = rows(tmp_path, 'violation(S, "zero") :- can_reach(S, D, "0", 0, 65535), lb_eni(_, D).\n', snap)
    assert code == 1 and {s for s, _ in found} == {"eni-0task01", "eni-0alb0a", "eni-0alb0b"}, found
    from test_query import _bastion, _public_ip, edit  # a public instance in the public subnet, sg-0alb: open to all
    _bastion(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    code, found = rows(tmp_path, 'violation(E, "every protocol") :- exposed(E, "-1", 0, 65535).\n', snap)
    assert code == 1 and found == [("eni-0bastion", "every protocol")], found


def test_a_policy_over_what_missing_data_leaves_open_is_not_decided(tmp_path):
    """A public ENI whose security group the snapshot does not describe: `audit exposure` leaves it undecided (exit
    3), and a policy over `exposed` found nothing there and passed (exit 0): missing data read as "not exposed".
    Now the policies are not decided (exit 3), and the warning names the ENI; so for `can_reach`.  A violation found
    elsewhere still fails (exit 1)."""
    from test_query import _bastion, _public_ip, edit, scenario

    snap = scenario(tmp_path, FIXED)
    _bastion(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    edit(snap, "NetworkInterfaces", lambda d: [n.update(Groups=[{"GroupId": "sg-0missing"}]) for n in d["NetworkInterfaces"]
                                               if n["NetworkInterfaceId"] == "eni-0bastion"])
    f = tmp_path / "ssh.dl"
    f.write_text('violation(E, "ssh") :- exposed(E, "6", Lo, Hi), Lo <= 22, 22 <= Hi.\n')
    r = reason("verify", str(f), "--facts", str(snap))
    assert r.returncode == 3 and "policies not decided: exposed" in r.stderr and "eni-0bastion" in r.stderr, r.stdout + r.stderr
    f.write_text('violation(D, "ssh") :- can_reach(S, D, "6", Lo, Hi), Lo <= 22, 22 <= Hi, eni_sg(S, "sg-0task").\n')
    r = reason("verify", str(f), "--facts", str(snap), "--format", "json")
    doc = answer(r.stdout)
    assert r.returncode == 3 and any(w.startswith("policies not decided: can_reach") and "eni-0task01 -> eni-0bastion" in w
                                     for w in doc["warnings"]), doc["warnings"]
    f.write_text('violation(E, "web") :- exposed(E, "6", Lo, Hi), Lo <= 80, 80 <= Hi.\n')  # the ALB's nodes: found
    assert reason("verify", str(f), "--facts", str(snap)).returncode == 1


def _open_bastion(tmp_path, permission: dict):
    """seed-fixed with a public bastion (eni-0bastion, 54.1.2.3, in sg-0alb) and ``permission`` added inbound to every
    security group."""
    import json
    import shutil

    from test_query import _bastion, _public_ip, edit

    snap = tmp_path / "snap"
    shutil.copytree(FIXED, snap)
    _bastion(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    edit(snap, "SecurityGroups", lambda d: [g["IpPermissions"].append(permission) for g in d["SecurityGroups"]])
    return snap


def test_a_protocol_a_policy_names_is_asked_apart_from_every_other_protocol(tmp_path):
    """A policy about GRE (protocol 47) over an ENI every protocol reaches from the internet: `exposed(E, "47", _, _)`
    matched nothing, as GRE was read under "-1" (every protocol no security group or network ACL rule names), and the
    policy passed.  A protocol a policy writes is now its own class; one a network ACL denies by number is not
    exposed though every other protocol is (the deny is read, not folded into "-1")."""
    import json

    snap = _open_bastion(tmp_path, {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    policy = ('violation(E, "gre") :- exposed(E, "47", _, _).\n'
              'violation(E, "esp") :- exposed(E, "50", _, _).\n')
    code, found = rows(tmp_path, policy, snap)
    assert code == 1 and ("eni-0bastion", "gre") in found and ("eni-0bastion", "esp") in found, found
    path = snap / "aws_configs" / "us-east-1" / "NetworkAcls.json"
    doc = json.loads(path.read_text())
    for acl in doc["NetworkAcls"]:  # ESP denied inbound by number, before the entries that admit everything
        acl["Entries"].insert(0, {"RuleNumber": 1, "Protocol": "50", "RuleAction": "deny", "Egress": False,
                                  "CidrBlock": "0.0.0.0/0"})
    path.write_text(json.dumps(doc))
    code, found = rows(tmp_path, policy, snap)
    assert code == 1 and ("eni-0bastion", "gre") in found and ("eni-0bastion", "esp") not in found, found


def test_both_port_constants_ask_whether_every_port_of_the_range_is_reached(tmp_path):
    """rules/policy_relations.dl: exposed and can_reach hold "on every destination port of port_lo..port_hi", but
    their rows are the maximal ranges, so `exposed(E, "6", 22, 22)` matched nothing over an ENI open on every port
    and the policy passed (found by an adversarial test session).  Both ports constant in a positive atom now read
    as containment (reasoner/engine/ranges.py); one constant, or a constant in a negated atom, is refused."""
    snap = _open_bastion(tmp_path, {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535,
                                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    code, found = rows(tmp_path, 'violation(E, "ssh") :- exposed(E, "tcp", 22, 22).\n'
                                 'violation(E, "low") :- exposed(E, "6", 0, 1023).\n'
                                 'violation(D, "ssh inside") :- can_reach(_, D, "6", 22, 22).\n', snap)
    assert code == 1 and ("eni-0bastion", "ssh") in found and ("eni-0bastion", "low") in found, found
    assert ("eni-0bastion", "ssh inside") in found, found  # (from the task: the ALB group has no egress)
    code, found = rows(tmp_path, 'violation(E, "web") :- exposed(E, "6", 79, 80).\n')  # the ALB: tcp 80 only
    assert (code, found) == (0, [])
    code, found = rows(tmp_path, 'violation(E, "web") :- exposed(E, "6", 80, 80).\n')
    assert code == 1 and found == [("eni-0alb0a", "web"), ("eni-0alb0b", "web")]
    code, found = rows(tmp_path, 'violation(E, "web") :- exposed(E, "6", 79 + 1, 79 + 1).\n')  # (an expression: its value)
    assert code == 1 and found == [("eni-0alb0a", "web"), ("eni-0alb0b", "web")]
    # refused: a constant beside a variable port, in a negated atom, reversed (it read as "overlaps 70..90"), or past
    # 65535 (a second adversarial session found the expression and the reversed range)
    for body in ('exposed(E, "6", 22, Hi)', 'eni(E, _, _, _), !exposed(E, "6", 22, 22)', 'exposed(E, "6", 90, 70)',
                 'exposed(E, "6", 0, 70000)', 'exposed(E, "6", 80, 79 + 2 * Hi), Hi = 1'):
        f = tmp_path / "bad.dl"
        f.write_text(f'violation(E, "x") :- {body}.\n')
        r = reason("verify", str(f), "--facts", str(FACTS))
        assert r.returncode == 2 and "error[port_constant]" in r.stderr and "Lo <= 22, 22 <= Hi" in r.stderr, (body, r.stderr)


def test_a_policys_negative_number_does_not_reach_the_set_engine(tmp_path):
    """The set engine (DuckDB) evaluates the shipped rules only (reasoner/engine/program.py shipped_only): a policy's
    constant below 0 beside the snapshot's IPv6-wide address columns made every set question of the run an error
    (engine.sql_unsupported: "numbers from -5 to 2^128-1 fit no SQL integer type", exit 2), though none needs the
    policy.  Its assertions are answered now, and the policy, reading exposed, runs as before."""
    policy = tmp_path / "neg.dl"
    policy.write_text('.decl k(n: number)\nk(-5).\n'
                      'violation(E, "open") :- exposed(E, "6", Lo, Hi), k(N), Lo > N, Lo <= 80, 80 <= Hi.\n')
    checks = tmp_path / "iso.reason"
    checks.write_text("assert unreachable internet -> task-eni any\n")
    r = reason("verify", str(checks), str(policy), "--facts", str(FACTS), "--format", "json")
    assert "sql_unsupported" not in r.stdout + r.stderr, r.stdout + r.stderr
    doc = answer(r.stdout)
    assert [(a["holds"], a["error"]) for a in doc["assertions"]] == [(True, None)], doc["assertions"]
    assert {tuple(v["row"]) for v in doc["violations"]} == {("eni-0alb0a", "open"), ("eni-0alb0b", "open")}, doc["violations"]
    assert r.returncode == 1
