"""JSON Schemas of reason's answers, shipped as package data, and a validator for them.

``reason.query/v1``, ``reason.verify/v1``, ``reason.health/v1``, ``reason.error/v1``, ``reason.recheck/v1``,
``reason.diff/v1``, ``reason.query-all/v1`` (``query --all``), ``reason.audit-exposure/v1``,
``reason.audit-pairs/v1`` (``--format json``), ``reason.proof/v2`` (``reason verify --proof``; v1, read by ``recheck``) and
``aws-analysis`` (``--format aws``: Reachability Analyzer's DescribeNetworkInsightsAnalyses answer).
:func:`validate` needs the ``jsonschema`` package (a test extra); nothing else imports it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

FILES = {"reason.query/v1": "reason.query.v1.schema.json", "reason.verify/v1": "reason.verify.v1.schema.json",
         "reason.health/v1": "reason.health.v1.schema.json", "reason.error/v1": "reason.error.v1.schema.json",
         "reason.proof/v1": "reason.proof.v1.schema.json", "reason.proof/v2": "reason.proof.v2.schema.json",
         "reason.recheck/v1": "reason.recheck.v1.schema.json",
         "reason.diff/v1": "reason.diff.v1.schema.json", "reason.query-all/v1": "reason.query-all.v1.schema.json",
         "reason.audit-exposure/v1": "reason.audit-exposure.v1.schema.json",
         "reason.audit-pairs/v1": "reason.audit-pairs.v1.schema.json",
         "aws": "aws-analysis.schema.json"}


@lru_cache(maxsize=None)
def load(name: str) -> dict[str, Any]:
    """The schema for a ``schema`` value (``reason.query/v1``, ...) or ``aws``."""
    return json.loads(resources.files("reasoner.schemas").joinpath(FILES[name]).read_text(encoding="utf-8"))


def schema_of(doc: dict[str, Any]) -> str:
    """Which schema a JSON answer claims: its ``schema`` field, or ``aws`` for an analysis document."""
    if "NetworkInsightsAnalyses" in doc:
        return "aws"
    return str(doc["schema"])


def validate(doc: dict[str, Any]) -> str:
    """Validates an answer against the schema it names; raises jsonschema.ValidationError. Returns the schema name."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    name = schema_of(doc)
    registry = Registry().with_resources(
        (load(n)["$id"], Resource.from_contents(load(n))) for n in FILES)
    validator = Draft202012Validator(load(name), registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
    validator.validate(doc)
    return name
