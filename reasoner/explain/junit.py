"""``reason verify --format junit``: JUnit XML, as GitLab's test reports and most CI servers read it.

One ``<testsuite>`` per assertion or policy file, one ``<testcase>`` per assertion or policy rule
(``classname`` = the file, ``name`` = the assertion or the rule's location, ``file``/``line`` attributes).
A failing check has a ``<failure>`` (type ``fail``); an inconclusive assertion too, with type
``inconclusive`` and its own message (it never passes); an assertion that could not be asked has an
``<error>``.  Built with xml.etree, so every string from a snapshot is escaped by the serializer.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import OrderedDict

from reasoner.explain.checks import VerifyReport
from reasoner.terminal import block



def _clean(text: str) -> str:
    """Control characters (terminal escapes; most cannot be in XML 1.0) from snapshot strings, shown as the visible
    escapes the text output uses (``\\x1b``), never dropped: two ids that differ only by one stay apart."""
    return block(text)


def render_junit(report: VerifyReport, tool_version: str) -> str:
    suites: "OrderedDict[str, list[ET.Element]]" = OrderedDict()
    counts: dict[str, dict[str, int]] = {}

    def case(file: str, name: str, line: int, status: str, message: str, details: str) -> None:
        tc = ET.Element("testcase", {"classname": _clean(file), "name": _clean(name), "file": _clean(file), "line": str(line),
                                     "time": "0"})
        c = counts.setdefault(file, {"tests": 0, "failures": 0, "errors": 0})
        c["tests"] += 1
        if status in ("fail", "inconclusive"):
            el = ET.SubElement(tc, "failure", {"type": status, "message": _clean(message)})
            el.text = _clean(details)
            c["failures"] += 1
        elif status == "error":
            el = ET.SubElement(tc, "error", {"type": "error", "message": _clean(message)})
            el.text = _clean(details)
            c["errors"] += 1
        suites.setdefault(file, []).append(tc)

    for a in report.assertions:
        msg = a.message()
        case(a.assertion.file, a.assertion.text, a.assertion.line, a.status, msg.split(": ", 1)[-1][:500], msg)
    for p in report.policies:
        rows = p.errors or [f"violation{tuple(row)!r}" for row, _ in p.violations]
        name = f"policy {p.location}" + (f": {p.message}" if p.message else "")
        case(p.file, name, p.line, p.status, "; ".join(rows)[:500], "\n".join(rows))

    root = ET.Element("testsuites", {"name": "reason verify"})
    for file, cases in suites.items():
        c = counts[file]
        suite = ET.SubElement(root, "testsuite", {"name": _clean(file), "tests": str(c["tests"]), "failures": str(c["failures"]),
                                                  "errors": str(c["errors"]), "skipped": "0", "time": "0"})
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", {"name": "reason.tool_version", "value": tool_version})
        ET.SubElement(props, "property", {"name": "reason.schema", "value": "reason.junit/v1"})
        suite.extend(cases)
    root.set("tests", str(sum(c["tests"] for c in counts.values())))
    root.set("failures", str(sum(c["failures"] for c in counts.values())))
    root.set("errors", str(sum(c["errors"] for c in counts.values())))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
