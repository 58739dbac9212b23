"""Grammar-aware generators of hostile rule files and queries, and the time bound of their fuzz tests.

Bounded: each test runs REASON_FUZZ_EXAMPLES examples (default 25, derandomized, the CI setting);
``--hypothesis-profile long`` or ``REASON_FUZZ_PROFILE=long`` runs the "long" profile (tests/fuzz/conftest.py).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Created by any of the hostile strings below if it were ever run as Python.
MARKER = Path(tempfile.gettempdir()) / f"reason-fuzz-marker-{os.getpid()}"
PY = f"__import__('pathlib').Path({str(MARKER)!r}).touch()"


def fuzz_settings(examples: int = 25) -> settings:
    if settings.get_current_profile_name() == "long" or os.environ.get("REASON_FUZZ_PROFILE") == "long":
        return settings(settings.get_profile("long"))
    return settings(max_examples=int(os.environ.get("REASON_FUZZ_EXAMPLES", examples)), deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


# -- rule files -------------------------------------------------------------------------------------
HOSTILE_NAMES = ["pyDatalog", "Logic", "pyEngine", "_W1", "_W0", "_X0", "_H0", "_K0", "_P0", "_q0", "__import__", "exec",
                 "eval", "os", "system", "self", "None", "True", "lambda", "class", "import", "not", "number", "symbol",
                 "decl", "r1__x", "min_", "len_", "ask", "Var", "_", "__", "__class__", "__proj1", "x__proj0",
                 "in_", "violation", "packet"]
LOWER = st.one_of(st.sampled_from([n for n in HOSTILE_NAMES if n[0].islower() or n[0] == "_"]),
                  st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True))
UPPER = st.one_of(st.sampled_from(["X", "Y", "Z", "N", "Logic", "None", "True", "_W1", "_X0", "_H0", "Q0", "_P0", "_K0"]),
                  st.from_regex(r"[A-Z][A-Za-z0-9_]{0,4}", fullmatch=True))
STRINGS = st.sampled_from([PY, f"\"); {PY} #", f"{{{PY}}}", "\\n", "\\u0000", "\\\"", "é ü 中文 🙂", "", "-1", "0.0.0.0/0",
                           "\\x41", "\\q", "\\ud800", "%s%s%n", "[bold]x[/]", "' or 1=1 --", "a\tb"])
NUMBERS = st.one_of(st.integers(-5, 5), st.sampled_from([0, 65535, 4294967295, 2**63, 2**128, 10**39, 10**45]))


def term(depth: int = 3) -> st.SearchStrategy[str]:
    base = st.one_of(UPPER, NUMBERS.map(str), STRINGS.map(lambda s: f'"{s}"'), st.just("_"))
    if depth <= 0:
        return base
    sub = term(depth - 1)
    return st.one_of(base, st.tuples(sub, st.sampled_from(["+", "-", "*", "/", "%"]), sub).map(" ".join),
                     sub.map(lambda t: f"({t})"), sub.map(lambda t: f"-{t}"))


def atom(negated: bool = False) -> st.SearchStrategy[str]:
    return st.tuples(LOWER, st.lists(term(2), max_size=3)).map(
        lambda p: ("!" if negated else "") + f"{p[0]}({', '.join(p[1])})")


LITERAL = st.one_of(atom(), atom(negated=True),
                    st.tuples(term(2), st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), term(2)).map(" ".join))
DECL = st.tuples(LOWER, st.lists(st.tuples(LOWER, st.sampled_from(["number", "symbol"])), max_size=3),
                 st.lists(st.tuples(LOWER, STRINGS), max_size=1)).map(
    lambda d: f".decl {d[0]}({', '.join(f'{c}: {t}' for c, t in d[1])})" + "".join(f' @{k}("{v}")' for k, v in d[2]))
CLAUSE = st.one_of(atom().map(lambda a: a + "."),
                   st.tuples(atom(), st.lists(LITERAL, min_size=1, max_size=4)).map(lambda r: f"{r[0]} :- {', '.join(r[1])}."))
DEEP = st.sampled_from(["q(X) :- p(X), Y = X" + " + 1" * 400 + ".", "q(X) :- p(X), Y = " + "(" * 300 + "X" + ")" * 300 + ".",
                        "q(X) :- p(X), Y = " + "-" * 500 + "X.", "p(" + "9" * 5000 + ")."])
RAW = st.sampled_from(["/*", "*/", ":-", ".", "(", ")", ",", "!", '"', "@", "//", "\n", "\\", "\x00", "\u202e", "é", "→",
                       "{", "}", ";", "import os", f"{PY}\n"])


@st.composite
def rule_file(draw) -> str:
    """A rule file from the grammar (declarations, facts, rules with hostile names and constants),
    then a few text mutations: a span deleted, a span duplicated, a raw token inserted."""
    lines = draw(st.lists(st.one_of(DECL, CLAUSE, CLAUSE, DEEP if draw(st.integers(0, 9)) == 0 else CLAUSE), min_size=1, max_size=8))
    text = "\n".join(lines) + "\n"
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 12)))
        kind = draw(st.sampled_from(["delete", "duplicate", "insert"]))
        text = text[:i] + text[j:] if kind == "delete" else text[:j] + text[i:j] + text[j:] if kind == "duplicate" else \
            text[:i] + draw(RAW) + text[i:]
    return text


# -- queries ----------------------------------------------------------------------------------------
ENDPOINT = st.one_of(st.sampled_from(["alb-eni", "task-eni", "internet", "eni-0alb0a", "alb:web", "ecs:prod/web", "tg:web",
                                      "10.0.1.10", "10.0.0.0/16", "0.0.0.0/0", "vpc-*", "sg-0alb", "::1", "a" * 300,
                                      "tcp", "proto", "assert", "reachable", "__import__", "pyDatalog", "Logic"]),
                     st.from_regex(r"[A-Za-z0-9_.:/*@+=-]{0,12}[A-Za-z0-9_.:/*@+=]", fullmatch=True))
PROTOCOL = st.one_of(st.sampled_from(["", "tcp", "udp", "icmp", "any", "TCP", "proto 6", "proto 17", "proto 255", "proto 256",
                                      "proto 99999999999999999999", "proto -1", "proto"]),
                     st.integers(0, 300).map(lambda n: f"proto {n}"))
PORTS = st.one_of(st.just(""), st.integers(-1, 70000).map(str),
                  st.tuples(st.integers(0, 70000), st.integers(0, 70000)).map(lambda p: f"{p[0]}-{p[1]}"),
                  st.sampled_from(["80-", "-80", "1-2-3", "0x50", "٨٠", "8" * 50]))
QUERY_RAW = st.sampled_from(["->", "-", ">", " ", "  ", "\t", "\n", "#", "\x1b[2J", "[red]", "é", "\u202e", '"', "'", "$(id)",
                             "; touch x", "\x00"])


@st.composite
def query_text(draw) -> str:
    """A query from the grammar (SRC -> DST [PROTO [PORTS]]), then text mutations."""
    text = " ".join(p for p in (draw(ENDPOINT), draw(st.sampled_from(["->", "->", "->", "- >", "=>", ""])), draw(ENDPOINT),
                                draw(PROTOCOL), draw(PORTS)) if p)
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(QUERY_RAW) + text[i + draw(st.integers(0, 2)):]
    return text
