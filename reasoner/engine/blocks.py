"""The packets a ``SeparableBackend`` (separable.py) takes for one evaluation of its inner backend.

A block holds the packets asked, and the fewer packets to evaluate for them: for each packet asked, the packet its
destination-port rows come from (its own ports but its group's first source port) and the one its source-port rows
come from (its group's first destination port, its own source port).  A group is a packet's facts without its ports.
"""

from __future__ import annotations

from reasoner.engine.backend import PacketFacts

SRC_PORT, DST_PORT = 5, 6  # the packet row's port columns (packet(S, D, SIp, DIp, P, SP, DP))


class Block:
    """Packets taken for one evaluation, and the packets to evaluate for them (the module doc)."""

    def __init__(self) -> None:
        self.packets: list[PacketFacts] = []
        self.order: list[PacketFacts] = []  # the packets to evaluate
        self.uses: list[tuple[int, int]] = []  # per packet: (index in order for dst-side rows, for src-side rows)
        self._ids: dict[tuple, tuple[int, int]] = {}  # group -> (dp0, sp0): its first packet's ports
        self._needed: dict[tuple, int] = {}  # (group, dp, sp) -> index in order

    def add(self, f: PacketFacts) -> None:
        row = f["packet"][0]
        key = _key(f)
        dp0, sp0 = self._ids.setdefault(key, (row[DST_PORT], row[SRC_PORT]))
        idx = []
        for dp, sp in ((row[DST_PORT], sp0), (dp0, row[SRC_PORT])):
            k = (key, dp, sp)
            i = self._needed.get(k)
            if i is None:
                i = self._needed[k] = len(self.order)
                self.order.append(_with_ports(f, dp, sp))
            idx.append(i)
        self.packets.append(f)
        self.uses.append((idx[0], idx[1]))


def _key(f: PacketFacts) -> tuple:
    """A packet's facts without its ports: packets with equal keys differ only in ports."""
    row = f["packet"][0]
    rest = tuple(sorted((rel, tuple(rows)) for rel, rows in f.items() if rel != "packet"))
    return row[:SRC_PORT], rest


def _with_ports(f: PacketFacts, dp: int, sp: int) -> dict:
    row = f["packet"][0]
    return {**f, "packet": [row[:SRC_PORT] + (sp, dp) + row[DST_PORT + 1:]]}
