"""The parsed-rules cache: plain, versioned, validated JSON of the syntax tree; never code.

A cached rule set is ``rules-<key>.json`` in the cache folder (``$REASON_CACHE_DIR``, else
``$XDG_CACHE_HOME/reason``, else ``~/.cache/reason``; ``REASON_NO_CACHE=1`` turns it off), the key a hash of the
files' names and texts, Python's version and :func:`parser_sha256` (the grammar and the parsing code)::

    {"format": "reason.parse-cache", "version": 1, "key": "<key>", "module": {"_t": "Module", ...}}

Why not pickle: whoever can write the cache folder (a restored or shared CI cache) would run code at
the next ``reason query``.  JSON only ever yields dicts, lists, strings, numbers, booleans and null,
and :func:`decode` builds nothing but the dataclasses of :mod:`reasoner.engine.syntax`, checking
each value against the field's type hint (a closed set of classes chosen by the ``_t`` tag, exact
field names, ``int`` never ``bool``, tuples and lists of the declared element types).  Anything
else - an unknown format or version, another key, a missing or extra field, a wrong type, a file too
large or nested too deep - is a cache miss: the caller parses the files again.

What the cache does not protect against: someone who can write the cache folder can still put a
*different* well-formed rule set under a key (the key is a hash of public inputs).  Keep the cache
folder as private as the rules themselves (it is created with mode 0700).

**The shipped rules' parse** (:data:`SHIPPED`, beside this module, gzip-compressed JSON of the same shape) is
package data, as ``reasoner/query/query.lark.tables`` is for the query language: the first command on a machine
(an empty cache folder) would otherwise spend about 0.18 s in lark on the shipped rules.  It is used only when
its stamp names exactly the texts being parsed (every shipped file's name and sha256), the grammar and the code
that turns a parse into a syntax tree (``parse.py``, ``syntax.py``); then it is decoded like a cache entry. It also
records that ``check`` passed the rules when it was written, with the sha256 of the checking code (``check_stamp``):
while that code is unchanged, loading the shipped rules alone skips the check (``program.load_rules``; 0.07 s).
Anything else (an edited rule file, another grammar, a damaged file, ``REASON_NO_CACHE=1``, ``reason recheck``)
parses the files again.  After editing the shipped rules, run ``python -m reasoner.engine.parse_cache``
(``tests/engine/test_parse_cache.py`` fails until then: the shortcut would be lost, never a wrong rule used).
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import json
import types
import typing
from pathlib import Path
from typing import Any, Callable

from reasoner.engine import disk_cache, syntax
from reasoner.engine.syntax import Module

FORMAT = "reason.parse-cache"
VERSION = 2  # 2: a Rule carries annotations (@id, @severity, ...) and is located at its head when annotated
#: A cached rule set larger than this is not read (the shipped rules take well under 1 MB).
MAX_BYTES = 64 * 1024 * 1024
#: How many cached rule sets are kept (the most recent ones).
KEEP = 32
#: The shipped rules' parse, beside this module (see the module doc).
SHIPPED = "shipped-rules.json.gz"
SHIPPED_FORMAT = "reason.shipped-rules"

_CLASSES: dict[str, type] = {c.__name__: c for c in (syntax.Loc, syntax.Var, syntax.Const, syntax.Wildcard, syntax.BinOp,
                                                     syntax.Atom, syntax.Comparison, syntax.Rule, syntax.Decl, syntax.Module)}


class Invalid(ValueError):
    """The cached data does not have the shape of a syntax tree."""


def encode(value: Any) -> Any:
    """JSON-able data of a syntax tree (dataclasses tagged with ``_t``)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if type(value).__name__ not in _CLASSES:
            raise Invalid(f"not a syntax node: {type(value).__name__}")
        out = {"_t": type(value).__name__}
        for f in dataclasses.fields(value):
            out[f.name] = encode(getattr(value, f.name))
        return out
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise Invalid("dictionary keys must be strings")
        return {k: encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, bool)):
        return value
    raise Invalid(f"cannot cache a {type(value).__name__}")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(syntax))


@functools.cache
def _fields(cls: type) -> tuple[dataclasses.Field, ...]:
    return dataclasses.fields(cls)


def decode(data: Any, hint: Any = Module) -> Any:
    """The value of type ``hint`` that ``data`` encodes; :class:`Invalid` when it does not fit exactly."""
    return _decoder(hint)(data)


@functools.cache
def _decoder(hint: Any) -> Callable[[Any], Any]:
    """The decoder of values of type ``hint``: the type hints are read once per hint, not once per node of the
    tree (the shipped rules are about 40,000 nodes: 0.07 s when each node read its hints, a fifth of a point
    query's set-up).  A class's field decoders are looked up on its first node, so recursive types (a ``BinOp``
    holds terms) need no forward declaration."""
    origin = typing.get_origin(hint)
    if hint is Any:
        def untyped(data: Any) -> Any:
            raise Invalid("untyped field")
        return untyped
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        tagged: dict[str, Any] = {}
        for option in options:
            if isinstance(option, type):
                tagged.setdefault(option.__name__, option)
        scalars = [o for o in options if o in (int, str, bool, type(None))]

        def union(data: Any) -> Any:
            if isinstance(data, dict):
                tag = data.get("_t")
                option = tagged.get(tag) if type(tag) is str else None
                if option is None:
                    raise Invalid(f"unexpected node {tag!r}")
                return _decoder(option)(data)
            for option in scalars:
                try:
                    return _decoder(option)(data)
                except Invalid:
                    continue
            raise Invalid(f"{type(data).__name__} fits none of {hint}")
        return union
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])

            def tuple_of(data: Any) -> Any:
                if not isinstance(data, list):
                    raise Invalid("expected a list")
                return tuple(map(item, data))
            return tuple_of
        items = [_decoder(a) for a in args]

        def fixed_tuple(data: Any) -> Any:
            if not isinstance(data, list):
                raise Invalid("expected a list")
            if len(items) != len(data):
                raise Invalid("wrong tuple length")
            return tuple(f(v) for f, v in zip(items, data))
        return fixed_tuple
    if origin is list:
        (arg,) = typing.get_args(hint)
        element = _decoder(arg)

        def list_of(data: Any) -> Any:
            if not isinstance(data, list):
                raise Invalid("expected a list")
            return list(map(element, data))
        return list_of
    if origin is dict:
        key_type, value_type = typing.get_args(hint)
        key, value = _decoder(key_type), _decoder(value_type)

        def dict_of(data: Any) -> Any:
            if not isinstance(data, dict):
                raise Invalid("expected an object")
            return {key(k): value(v) for k, v in data.items()}
        return dict_of
    if hint is type(None):
        def none(data: Any) -> Any:
            if data is not None:
                raise Invalid("expected null")
            return None
        return none
    if hint in (int, str, bool):
        def scalar(data: Any) -> Any:
            if type(data) is not hint:
                raise Invalid(f"expected {hint.__name__}, found {type(data).__name__}")
            return data
        return scalar
    if isinstance(hint, type) and _CLASSES.get(hint.__name__) is hint:
        name, names = hint.__name__, {"_t"} | {f.name for f in _fields(hint)}
        fields: list[tuple[str, Callable[[Any], Any]]] = []

        def node(data: Any) -> Any:
            if not isinstance(data, dict) or data.get("_t") != name:
                raise Invalid(f"expected a {name} node")
            if data.keys() != names:
                raise Invalid(f"{name}: unexpected or missing fields")
            if not fields:
                hints = _hints(hint)
                fields.extend((f.name, _decoder(hints[f.name])) for f in _fields(hint))
            return hint(**{f: dec(data[f]) for f, dec in fields})
        return node

    def unsupported(data: Any) -> Any:
        raise Invalid(f"unsupported type {hint!r}")
    return unsupported


def load(folder: Path, key: str) -> Module | None:
    """The cached Module for ``key``, or None on any miss, mismatch or unreadable file."""
    doc = disk_cache.read_json(folder, "rules", key, MAX_BYTES)
    try:
        if not isinstance(doc, dict) or set(doc) != {"format", "version", "key", "module"}:
            return None
        if doc["format"] != FORMAT or doc["version"] != VERSION or doc["key"] != key:
            return None
        return decode(doc["module"], Module)
    except (ValueError, RecursionError, TypeError):  # not a syntax tree, too deep
        return None


def store(folder: Path, key: str, module: Module) -> None:
    """Writes ``module`` under ``key`` (atomically); keeps the :data:`KEEP` most recent rule sets.
    A folder that cannot be written means no cache, never an error."""
    try:
        doc = {"format": FORMAT, "version": VERSION, "key": key, "module": encode(module)}
    except (Invalid, RecursionError, ValueError):
        return
    disk_cache.write_json(folder, "rules", key, doc, KEEP)


def parser_sha256() -> str:
    """The sha256 of what turns text into a syntax tree, or refuses it: the grammar and the code that builds the tree
    (``rules.lark``, ``parse.py``, ``syntax.py``).  A parse cached by other code is not used: a user file the parser
    now refuses (a repeated annotation) was accepted, and cached, by the parser before it."""
    here = Path(__file__).parent
    code = hashlib.sha256()
    for name in ("rules.lark", "parse.py", "syntax.py"):
        code.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    return code.hexdigest()


def stamp(texts: list[tuple[str, str]]) -> dict[str, Any]:
    """What the shipped parse of ``texts`` (display name, text) depends on: the texts, the grammar and the code
    that builds the syntax tree."""
    return {"code_sha256": parser_sha256(),
            "files": [[name, hashlib.sha256(text.encode()).hexdigest()] for name, text in texts]}


#: The code whose verdict on the shipped rules :data:`SHIPPED` records (``check`` passed them when it was written):
#: the static checks, and the protocol names read as numbers before them.
CHECK_CODE = ("check.py", "typecheck.py", "protocols.py", "syntax.py")


def check_stamp() -> str:
    """The sha256 of :data:`CHECK_CODE`: a shipped parse checked by other code is not taken as checked."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in CHECK_CODE:
        h.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    return h.hexdigest()


def shipped(texts: list[tuple[str, str]], checked: bool = False) -> Module | None:
    """The shipped parse of ``texts`` (display name, text), when :data:`SHIPPED` was written from exactly these
    texts by this code; else None (the caller parses them).  ``checked``: only when it also records that this
    checking code (:data:`CHECK_CODE`) passed them, so the caller may skip ``check`` (``program.load_rules``)."""
    try:
        doc = json.loads(gzip.decompress((Path(__file__).parent / SHIPPED).read_bytes()).decode("utf-8"))
        if not isinstance(doc, dict) or set(doc) != {"format", "version", "stamp", "checked", "module"}:
            return None
        if doc["format"] != SHIPPED_FORMAT or doc["version"] != VERSION or doc["stamp"] != stamp(texts):
            return None
        if checked and doc["checked"] != check_stamp():
            return None
        module = decode(doc["module"], Module)
    except (OSError, ValueError, EOFError, RecursionError, TypeError):  # missing, not gzip, not JSON, not a tree
        return None
    if module.sources:  # written without the texts (the files hold them)
        return None
    module.sources = dict(texts)
    return module


def shipped_bytes(texts: list[tuple[str, str]], module: Module, checked: str = "") -> bytes:
    """What :data:`SHIPPED` holds for ``module``, the parse of ``texts`` (display name, text); ``checked``: the
    :func:`check_stamp` of the code that passed it ("" when it was not checked)."""
    body = encode(dataclasses.replace(module, sources={}))  # (the files hold the texts)
    doc = {"format": SHIPPED_FORMAT, "version": VERSION, "stamp": stamp(texts), "checked": checked, "module": body}
    data = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return gzip.compress(data, mtime=0)  # (mtime 0: the same rules give the same bytes)


def write_shipped() -> Path:
    """Writes :data:`SHIPPED` from the shipped rule files (after editing them, the grammar or the parser)."""
    from reasoner.engine.parse import parse_texts, read_texts
    from reasoner.engine.program import bundled_names

    from reasoner.engine.check import check
    from reasoner.engine.protocols import with_numbers

    shipped_files, names = bundled_names()
    texts = read_texts(shipped_files, names)
    module = parse_texts(texts)
    check(with_numbers(module, names), shipped=frozenset(names))  # (RuleError: shipped rules that fail are not written)
    out = Path(__file__).parent / SHIPPED
    out.write_bytes(shipped_bytes(texts, module, check_stamp()))
    return out


if __name__ == "__main__":
    print(f"wrote {write_shipped()}")
