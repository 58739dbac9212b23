"""House style of the shipped rule files, checked: every predicate is declared with a comment that says
what it holds for ("Holds if ..." / "Gets ..."), and every file opens with the behaviour it encodes."""

import re

from reasoner.engine.program import bundled_rules


def test_every_declaration_is_documented():
    missing = []
    for path in bundled_rules():
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.startswith(".decl"):
                j = i - 1
                while j >= 0 and lines[j].startswith(".decl"):  # a group of declarations under one comment
                    j -= 1
                if j < 0 or not lines[j].startswith("//"):
                    missing.append(f"{path.name}:{i + 1}: {line[:60]}")
    assert not missing, "undocumented predicates:\n" + "\n".join(missing)


def test_every_rule_file_opens_with_what_it_encodes():
    for path in bundled_rules():
        assert path.read_text().startswith("//"), path.name
        assert re.search(r"\.(html|md)|aws-semantics|describe-\*|Batfish", path.read_text()[:1500]) or \
            path.name.startswith("0"), f"{path.name}: cite the AWS page the file encodes"
