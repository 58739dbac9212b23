"""IP protocols as the rules hold them, and ICMP messages as people read them: one table for every layer.

The shipped relations hold a protocol as its IANA number in text (``"6"`` tcp, ``"17"`` udp, ``"1"`` icmp, ``"58"``
icmpv6; ``"-1"`` is "every protocol" in a security group or network ACL rule, as EC2 writes it).  For ICMP and
ICMPv6 a packet's port is a message, ``type * 256 + code`` (rules/00_snapshot.dl).  Read by the importer
(reasoner/facts), the rule language (names in policies: reasoner/engine/protocols.py), derivations
(reasoner/engine/provenance.py) and answers (reasoner/explain/wording.py and the renderers).
"""

from __future__ import annotations

#: IANA number (as the relations hold it) -> the name people write
NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
#: name -> IANA number
NUMBERS = {name: number for number, name in NAMES.items()}
#: the protocols whose rules and packets carry an ICMP type and code instead of ports: ICMP and ICMPv6
ICMP = ("1", "58")
#: the protocols a question about any protocol always asks apart (reasoner/explain/space.py): those with ports, and
#: ICMP and ICMPv6, whose messages the rules read
ALWAYS = ("6", "17") + ICMP


def is_number(value: str) -> bool:
    """Whether ``value`` is a protocol number as the relations hold it: 0-255 as ``str(int)`` writes it (never ``"06"``,
    ``"256"``; a string of thousands of digits is no number here, never an error)."""
    return len(value) <= 3 and value.isascii() and value.isdigit() and value == str(int(value)) and int(value) <= 255


#: how the audits and ``query --all`` name the class of every protocol no rule on the path names (an ``any``
#: question's last class: reasoner/explain/space.py ``PortGroup.rest``); its example packet carries the lowest
#: such number (usually 0), which is not the class's name
OTHER = "other"


def icmp_text(lo: int, hi: int) -> str:
    """ICMP messages ``lo``..``hi``, each ``type * 256 + code``: ``type 8 code 0``, ``type 8`` (every code),
    ``types 3-4``, ``every type``, else ``type 3 code 4 to type 8 code 0``."""
    (t1, c1), (t2, c2) = divmod(lo, 256), divmod(hi, 256)
    if (lo, hi) == (0, 65535):
        return "every type"
    if c1 == 0 and c2 == 255:
        return f"type {t1}" if t1 == t2 else f"types {t1}-{t2}"
    if t1 == t2:
        return f"type {t1} code {c1}" if c1 == c2 else f"type {t1} codes {c1}-{c2}"
    return f"type {t1} code {c1} to type {t2} code {c2}"
