"""Fields of describe-* JSON read with their JSON path: optional text, integers, flags, string lists, IPv4 addresses,
and the ``[{ParentId, Children: [...]}]`` wrappers the load balancer and ECS answers come in.  Each raises
:class:`reasoner.errors.FactsError` (through ``Ctx.err``) naming the path of a value of the wrong shape.  Used by
:mod:`reasoner.facts.elbv2`, :mod:`reasoner.facts.ecs` and :mod:`reasoner.facts.ec2`.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only
    from reasoner.facts.context import Ctx as _Ctx


def text(c: "_Ctx", obj: Any, key: str, path: str, default: str = "") -> str:
    """Optional scalar field as text (booleans as ``true``/``false``, as the API spells attribute values)."""
    value = c.opt(obj, key, path)
    if value is None:
        return default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise c.err("facts.bad_value", f"field {key!r} must be a string, found {type(value).__name__}", f"{path}.{key}")


def integer(c: "_Ctx", value: Any, path: str, what: str = "port") -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise c.err("facts.bad_value", f"{what} must be an integer, not {value!r}", path)


def opt_int(c: "_Ctx", obj: Any, key: str, path: str, default: int = 0, what: str = "port") -> int:
    value = c.opt(obj, key, path)
    return default if value is None else integer(c, value, f"{path}.{key}", what)


def flag(c: "_Ctx", obj: Any, key: str, path: str, default: bool) -> int:
    value = c.opt(obj, key, path)
    if value is None:
        return 1 if default else 0
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return 1 if value.lower() == "true" else 0
    raise c.err("facts.bad_value", f"field {key!r} must be a boolean, not {value!r}", f"{path}.{key}")


def strings(c: "_Ctx", obj: Any, key: str, path: str, message: str = "expected a string") -> list[tuple[str, str]]:
    """``(json_path, value)`` for each element of the optional list ``obj[key]``; an element that is not a string is
    a FactsError saying ``message`` at its path."""
    out = []
    for p, v in c.items(obj, key, path):
        if not isinstance(v, str):
            raise c.err("facts.bad_value", message, p)
        out.append((p, v))
    return out


def ipv4(text: str) -> int | None:
    try:
        return int(ipaddress.IPv4Address(text))
    except ValueError:
        return None


def wrapped(c: "_Ctx", items: list[tuple[str, Any]], parent_key: str, list_key: str,
             child_key: str | None = None) -> list[tuple[str, str, Any]]:
    """``(parent_id, json_path, child)`` for each child of ``[{parent_key, list_key: [...]}]``.

    The parent id may be omitted in the wrapper when every child carries it as ``child_key``.
    """
    out = []
    for wp, w in items:
        children = c.items(w, list_key, wp)
        c.whole(w, wp)  # (one parent's answer as the CLI prints it: one page of it is refused, as a file's is)
        parent = c.opt(w, parent_key, wp)
        for cp, child in children:
            own = c.opt(child, child_key, cp) if child_key else None
            pid = own if own is not None else parent
            if not isinstance(pid, str) or not pid:
                if pid is None:
                    raise c.err("facts.missing_field", f"required field {parent_key!r} is missing", f"{wp}.{parent_key}")
                raise c.err("facts.bad_value", f"field {parent_key!r} must be a non-empty string", f"{wp}.{parent_key}")
            out.append((pid, cp, child))
        if not children:
            c.req_str(w, parent_key, wp)
    return out


def listed(c: "_Ctx", items: list[tuple[str, Any]], parent_key: str, rel: str) -> None:
    """``rel`` for the parent each wrapper names: whose per-parent answers the file holds, with children or none.
    Call after ``wrapped``, which has checked the shape (a wrapper without ``parent_key`` names its parent through its
    children only)."""
    for wp, w in items:
        pid = c.opt(w, parent_key, wp)
        if isinstance(pid, str) and pid:
            c.add(rel, pid)


def tail(arn: str) -> str:
    """The last ``/`` segment of an ARN (an ECS cluster's name, a task's id)."""
    return arn.rsplit("/", 1)[-1]
