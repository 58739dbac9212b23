"""Parses rule text into a ``Module`` with lark (LALR), reporting syntax errors as Diagnostics.

Handles: ``.decl`` with annotations, facts, rules, ``!``/``not`` negation, comparisons,
integer arithmetic, ``_``, string/integer constants, ``//`` and ``/* */`` comments.
Identifiers in argument positions are variables (as in Souffle); constants are quoted
strings or integers.  Does not check meaning: see ``check``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

from lark import Lark, Token, Transformer, Tree, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, v_args
from lark.exceptions import VisitError

from reasoner.engine import disk_cache, parse_cache
from reasoner.errors import Diagnostic, RuleError
from reasoner.engine.syntax import Atom, BinOp, Comparison, Const, Decl, Loc, Module, Rule, Var, Wildcard, source_lines
from reasoner.files import read_regular

_TOKEN_NAMES = {
    "DOT": "'.'", "LPAR": "'('", "RPAR": "')'", "COMMA": "','", "NAME": "a name", "INT": "an integer",
    "STRING": "a string", "COMPOP": "a comparison", "__ANON_0": "':-'", "IF": "':-'", "BANG": "'!'",
    "COLON": "':'", "TYPE": "'number' or 'symbol'", "ADDOP": "'+' or '-'", "MULOP": "'*', '/' or '%'",
    "AT": "'@'", "MINUS": "'-'", "$END": "end of file", "UNDERSCORE": "'_'", "NOT": "'not'",
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("reasoner.engine").joinpath("rules.lark").read_text(encoding="utf-8")
    # no lark cache (cache=True): it is a pickle under a predictable name in the shared temp folder
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)



def _raw_control(ch: str) -> bool:
    """Holds for a C0 or C1 control character or DEL, but a tab (the one a string may hold raw)."""
    return ch != "\t" and (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F)

class _Note(NamedTuple):
    """An annotation ``@name("value")`` where it is written (a rule's or a declaration's, until ``parse_text`` says)."""

    name: str
    value: str
    loc: Loc


class _Column(NamedTuple):
    name: str
    type: str
    loc: Loc


class _Stmt(NamedTuple):
    """A declaration or a clause with its annotations, before ``parse_text`` gives them to it."""

    node: "Decl | Rule"
    notes: list[_Note]


class _ToAst(Transformer):
    def __init__(self, file: str, lines: list[str] | None = None) -> None:
        super().__init__()
        self.file = file
        self.lines = lines or []
        #: problems of structure found while building the tree (an annotation given twice, a column named twice),
        #: reported all together
        self.problems: list[Diagnostic] = []

    def problem(self, loc: Loc, code: str, message: str, hint: str) -> None:
        line = self.lines[loc.line - 1] if 0 < loc.line <= len(self.lines) else ""
        self.problems.append(Diagnostic(loc.file, loc.line, loc.column, code, message, line, hint))

    def _loc(self, meta: object) -> Loc:
        return Loc(self.file, getattr(meta, "line", 0), getattr(meta, "column", 0))

    @v_args(inline=True)
    def number(self, tok: Token) -> Const:
        return Const(int(tok))

    def _text(self, tok: Token) -> str:
        """The value of a quoted string: JSON escapes; a bad escape or a lone surrogate is a syntax error, and so is a
        control character written raw (a tab excepted): one that moves the cursor or starts a terminal escape is invisible
        in the file and would reach every message quoting the string, so it is written as an escape (``\\u001b``)."""
        raw = str(tok)
        bad = next((i for i, ch in enumerate(raw) if _raw_control(ch)), None)
        if bad is not None:
            line, column = getattr(tok, "line", 0) or 0, (getattr(tok, "column", 0) or 0) + bad
            raise RuleError([Diagnostic(self.file, line, column, "syntax",
                                        f"control character U+{ord(raw[bad]):04X} written raw in a string",
                                        self.lines[line - 1] if 0 < line <= len(self.lines) else "",
                                        hint=f"write it as the escape \\u{ord(raw[bad]):04x} if it is meant")])
        try:
            value = json.loads(str(tok), strict=False)  # strict=False: a tab inside quotes is a tab
            value.encode("utf-8")  # a lone surrogate such as "\\ud800" is not text
        except (ValueError, UnicodeError):
            line = getattr(tok, "line", 0) or 0
            raise RuleError([Diagnostic(self.file, line, getattr(tok, "column", 0) or 0, "syntax",
                                        f"bad escape in string {str(tok)[:40]}", self.lines[line - 1] if 0 < line <= len(self.lines) else "",
                                        hint='escapes are \\" \\\\ \\n \\t \\uXXXX (as in JSON)')]) from None
        return value

    @v_args(inline=True)
    def string(self, tok: Token) -> Const:
        return Const(self._text(tok))

    def wildcard(self, _: list) -> Wildcard:
        return Wildcard()

    @v_args(inline=True)
    def variable(self, tok: Token) -> Var:
        return Var(str(tok))

    @v_args(inline=True)
    def binop(self, left, op: Token, right) -> BinOp | Const:
        return BinOp(str(op), left, right)

    @v_args(inline=True)
    def negate(self, operand) -> BinOp | Const:
        if isinstance(operand, Const) and isinstance(operand.value, int):
            return Const(-operand.value)
        return BinOp("-", Const(0), operand)

    @v_args(meta=True)
    def atom(self, meta, children) -> Atom:
        name, *args = children
        args = [a for a in args if a is not None]
        return Atom(str(name), tuple(args), self._loc(meta))

    @v_args(meta=True)
    def negation(self, meta, children) -> Atom:
        atom = children[-1]
        return Atom(atom.pred, atom.args, self._loc(meta), negated=True)

    @v_args(meta=True)
    def comparison(self, meta, children) -> Comparison:
        left, op, right = children
        return Comparison(str(op), left, right, self._loc(meta))

    def body(self, children) -> tuple:
        return tuple(children)

    @v_args(meta=True)
    def clause(self, meta, children) -> _Stmt:
        *notes, head, body = children
        return _Stmt(Rule(head, body or (), head.loc if notes else self._loc(meta)), notes)  # located at its head

    @v_args(inline=True)
    def column(self, name: Token, typ: Token) -> _Column:
        return _Column(str(name), str(typ), Loc(self.file, name.line or 0, name.column or 0))

    @v_args(meta=True)
    def annotation(self, meta, children) -> _Note:
        name, value = children
        return _Note(str(name), self._text(value), self._loc(meta))

    @v_args(meta=True)
    def decl(self, meta, children) -> _Stmt:
        name = str(children[0])
        columns = [c for c in children[1:] if isinstance(c, _Column)]
        first: dict[str, _Column] = {}
        for col in columns:  # a policy's output and messages name the columns: one name, one column
            if col.name in first:
                self.problem(col.loc, "duplicate_column", f"column '{col.name}' of '{name}' is named twice",
                             f"first named at {first[col.name].loc}; give each column its own name "
                             f"(they name the values in messages and in a policy's output)")
            else:
                first[col.name] = col
        decl = Decl(name, tuple((c.name, c.type) for c in columns), {}, self._loc(meta))
        return _Stmt(decl, [c for c in children[1:] if isinstance(c, _Note)])


MAX_EXPRESSION_DEPTH = 200  # nested operators in one expression (a 200-term sum); Python's parser allows 200 too
MAX_NUMBER_DIGITS = 40  # an IPv6 address needs 39


def _check_limits(tree: Tree, file: str, line_at) -> list[Diagnostic]:
    """Refuses, before the (recursive) transformation, expressions nested deeper than
    MAX_EXPRESSION_DEPTH and integers longer than MAX_NUMBER_DIGITS; walks the tree with an explicit stack."""
    diags: list[Diagnostic] = []
    stack: list[tuple[object, int, Tree | None]] = [(tree, 0, None)]
    while stack:
        node, depth, outer = stack.pop()
        if isinstance(node, Token):
            if node.type == "INT" and len(node) > MAX_NUMBER_DIGITS:
                diags.append(Diagnostic(file, node.line or 0, node.column or 0, "number_too_large",
                                        f"an integer of {len(node)} digits (at most {MAX_NUMBER_DIGITS})", line_at(node.line or 0)))
            continue
        if not isinstance(node, Tree):
            continue
        if node.data in ("binop", "negate"):
            depth, outer = depth + 1, outer or node
            if depth > MAX_EXPRESSION_DEPTH:
                line, col = getattr(outer.meta, "line", 0), getattr(outer.meta, "column", 0)
                diags.append(Diagnostic(file, line, col, "expression_too_deep",
                                        f"an expression nested more than {MAX_EXPRESSION_DEPTH} operators deep", line_at(line),
                                        hint="split it with intermediate variables, e.g.  S1 = A + B + C, S2 = S1 + D + E"))
                continue
        else:
            depth, outer = 0, None
        stack.extend((child, depth, outer) for child in node.children)
    return sorted(set(diags))


def _describe_expected(expected: set[str]) -> str:
    patterns = {t.name: t.pattern.value for t in _parser().terminals}
    names = sorted({_TOKEN_NAMES.get(e) or repr(patterns.get(e, e)) for e in expected})
    return ", ".join(names) if names else "something else"


def parse_text(text: str, file: str = "<text>") -> Module:
    """Parses one rule file's text; raises RuleError with a located diagnostic on bad syntax.  Lines end at \\n, \\r\\n
    or \\r (a file saved with old Mac line endings: a // comment ran to the end of the file, and took every rule after
    it); the module keeps the text as given (the proof's rules hash reads it)."""
    original, text = text, text.replace("\r\n", "\n").replace("\r", "\n")
    lines = source_lines(text)

    def line_at(n: int) -> str:
        return lines[n - 1] if 0 < n <= len(lines) else ""

    try:
        tree: Tree = _parser().parse(text)
    except UnexpectedInput as err:
        line, col = getattr(err, "line", 0) or 0, getattr(err, "column", 0) or 0
        if isinstance(err, UnexpectedToken):
            found = "end of file" if err.token.type == "$END" else repr(str(err.token))
            msg = f"unexpected {found}; expected {_describe_expected(set(err.expected))}"
            if err.token.type == "$END":
                line, col = len(lines) or 1, len(line_at(len(lines))) + 1
        elif isinstance(err, UnexpectedCharacters):
            msg = f"unexpected character {text[err.pos_in_stream]!r}"
            if err.allowed:
                msg += f"; expected {_describe_expected(set(err.allowed))}"
        elif isinstance(err, UnexpectedEOF):
            line, col = len(lines) or 1, len(line_at(len(lines))) + 1
            msg = f"unexpected end of file; expected {_describe_expected(set(err.expected))}"
        else:  # pragma: no cover - lark has no other kinds today
            msg = str(err)
        raise RuleError([Diagnostic(file, line, col, "syntax", msg, line_at(line),
                                    hint="every clause ends with '.'; variables are bare names, constants are \"quoted\" or integers")]) from None
    limits = _check_limits(tree, file, line_at)
    if limits:
        raise RuleError(limits)
    ast = _ToAst(file, lines)
    try:
        module = ast.transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, RuleError):
            raise err.orig_exc from None
        raise
    out = Module(sources={file: original})
    moved: list[_Note] = []  # rule metadata written right after a .decl: the next rule's
    for stmt, notes in module.children:
        if isinstance(stmt, Decl):
            # a rule's metadata written right after a .decl is parsed with the decl (LALR shifts): give it back
            ast.problems.extend(_orphans(moved, stmt, lines))
            moved = [n for n in notes if n.name in RULE_METADATA]
            own = [n for n in notes if n.name not in RULE_METADATA]
            values, locs = _annotations(own, f"the declaration of '{stmt.name}'", ast)
            out.decls.append(Decl(stmt.name, stmt.columns, values, stmt.loc, locs))
        else:
            notes, moved = moved + notes, []
            out.rules.append(Rule(stmt.head, stmt.body, stmt.loc, *_annotations(notes, "a rule", ast)))
    ast.problems.extend(_orphans(moved, None, lines))
    if ast.problems:
        raise RuleError(ast.problems)
    return out


def _annotations(notes: list[_Note], what: str, ast: _ToAst) -> tuple[dict[str, str], dict[str, Loc]]:
    """The annotations of one declaration or rule, and where each is written; a repeated one is a problem (the last
    one silently won before)."""
    out: dict[str, _Note] = {}
    for note in notes:
        if note.name in out:
            first = out[note.name]
            ast.problem(note.loc, "duplicate_annotation", f"@{note.name} is given twice to {what}",
                        f"first given at {first.loc} (@{first.name}({json.dumps(first.value, ensure_ascii=False)[:60]})); "
                        "keep one: each annotation is given once")
        else:
            out[note.name] = note
    return {k: n.value for k, n in out.items()}, {k: n.loc for k, n in out.items()}


def _orphans(moved: list[_Note], after: Decl | None, lines: list[str]) -> list[Diagnostic]:
    """Rule metadata after a declaration that no rule follows (another declaration, or the end of the file): it
    belonged to no rule and was dropped without a word."""
    follows = f"the declaration of '{after.name}' ({after.loc})" if after is not None else "the end of the file"
    return [Diagnostic(n.loc.file, n.loc.line, n.loc.column, "bad_annotation",
                       f"@{n.name} belongs to no rule: {follows} follows it",
                       lines[n.loc.line - 1] if 0 < n.loc.line <= len(lines) else "",
                       "write @id, @severity, @title, @remediation right before the violation rule they describe")
            for n in moved]


#: Annotations that belong to a rule (a policy's metadata), not to a declaration.
RULE_METADATA = frozenset({"id", "severity", "title", "remediation"})


def parse_files(paths: list, display_names: list[str] | None = None, cache: bool = True) -> Module:
    """Parses several rule files into one Module; syntax errors of all files are collected.

    With ``cache``, the shipped rules' parse (package data: :data:`reasoner.engine.parse_cache.SHIPPED`) answers
    when the files are exactly the shipped ones, and a successful parse is cached (validated JSON of the syntax
    tree, never pickle: see :mod:`reasoner.engine.parse_cache`), keyed by the sha256 of the grammar and the parsing code,
    every file's name and text, and Python's version, so a fresh process skips lark; anything unreadable or unexpected in
    either is ignored and the files are parsed.  ``REASON_NO_CACHE=1`` turns both off.
    """
    texts = read_texts(paths, display_names)
    folder = disk_cache.cache_dir() if cache else None
    if folder is None:
        return parse_texts(texts)
    module = parse_cache.shipped(texts)
    if module is not None:
        return module
    # (the parsing code too, not the grammar alone: a file the parser now refuses was accepted, and cached, before)
    key = hashlib.sha256(repr((sys.version, parse_cache.parser_sha256(), texts)).encode()).hexdigest()[:32]
    module = parse_cache.load(folder, key)
    if module is None:
        module = parse_texts(texts)
        parse_cache.store(folder, key, module)
    return module


#: A rule file larger than this is not read (the shipped rules take about 200 KB together).
MAX_RULE_BYTES = 16 << 20


def read_texts(paths: list, display_names: list[str] | None = None) -> list[tuple[str, str]]:
    """Each file's display name and text; RuleError naming every file that cannot be read."""
    diags, texts = [], []
    for i, path in enumerate(paths):
        name = display_names[i] if display_names else str(path)
        try:
            # a regular file of at most MAX_RULE_BYTES: never a device or a pipe (opened without waiting for a writer)
            data = read_regular(path, MAX_RULE_BYTES + 1)
            if len(data) > MAX_RULE_BYTES:
                diags.append(Diagnostic(name, 0, 0, "io", f"rule file larger than {MAX_RULE_BYTES // (1 << 20)} MB: not read"))
                continue
            texts.append((name, data.decode("utf-8-sig")))  # (a byte order mark, as Windows editors write, is no text)
        except OSError as err:
            diags.append(Diagnostic(name, 0, 0, "io", f"cannot read rule file: {err.strerror}"))
    if diags:
        raise RuleError(diags)
    return texts


def parse_texts(texts: list[tuple[str, str]]) -> Module:
    """Parses each (display name, text) into one Module; RuleError with the syntax errors of every file."""
    module, diags = Module(), []
    for name, text in texts:
        try:
            module.extend(parse_text(text, name))
        except RuleError as err:
            diags.extend(err.diagnostics)
    if diags:
        raise RuleError(diags)
    return module
