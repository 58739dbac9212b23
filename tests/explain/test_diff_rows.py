"""How `reason diff` names a changed configuration row (reasoner/explain/diff.py ``row_text``)."""

from pathlib import Path

from reasoner.addresses import FAMILIES, parse_cidr
from reasoner.explain.diff import row_text
from reasoner.session import Session

FACTS = Path(__file__).resolve().parents[2] / "facts"


def test_address_ranges_read_as_their_cidr_in_both_families():
    s = Session.open(FACTS)
    v6_lo, v6_hi = FAMILIES["ipv6"]
    assert row_text(s, "route", ("rtb-1", v6_lo, v6_hi, 0, "igw", "igw-1", "active")) == \
        "route(rtb-1, ::/0, 0, igw, igw-1, active)"  # the clipped IPv6 space, not its first number (::1:0:0)
    lo, hi, _ = parse_cidr("10.0.0.0/16")
    assert row_text(s, "sg_egress_cidr", ("sg-1", "6", 8000, 8000, lo, hi, "sg-1:egress:0:0")) == \
        "sg_egress_cidr(sg-1, 6, 8000, 8000, 10.0.0.0/16)"  # ports stay numbers; the rule id is left out
    lo, _, _ = parse_cidr("2600:1f18::/56")
    assert row_text(s, "vpc", ("vpc-1", lo, lo + 5)) == f"vpc(vpc-1, 2600:1f18::-2600:1f18::5)"  # not a CIDR: a range
