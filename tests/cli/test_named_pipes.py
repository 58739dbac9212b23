"""A named pipe where `reason` reads a file: refused at once as not a regular file (exit 2), never waited on.

``open()`` of a FIFO for reading waits for a writer: a ``*.reason`` FIFO in a queries folder, a FIFO as the
``--proof`` target or given to `reason recheck` hung the command until ``--timeout``, which then said the rule
files might not terminate. A FIFO ``.dl`` was already refused (reasoner/engine/parse.py); all go through
reasoner/files.py now."""

import os

import pytest

from test_query import FACTS, ROOT, reason

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
FIXED = str(FACTS / "examples" / "seed-fixed")


def _refused(r, *needles: str) -> None:
    assert r.returncode == 2, r.stdout + r.stderr
    assert "may not terminate" not in r.stderr and "timed out" not in r.stderr and "internal error" not in r.stderr
    for needle in needles:
        assert needle in r.stderr, r.stderr


def test_a_named_pipe_among_the_assertion_files_is_refused_at_once(tmp_path):
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "a.reason").write_text("assert unreachable internet -> task-eni any\n")
    os.mkfifo(queries / "z.reason")
    _refused(reason("verify", "--facts", FIXED, "--timeout", "30", str(queries)),
             "z.reason", "not a regular file (a named pipe)")
    _refused(reason("verify", "--facts", FIXED, "--timeout", "30", str(queries / "z.reason")), "not a regular file")


def test_a_named_pipe_as_the_proof_target_is_refused_and_kept(tmp_path):
    os.mkfifo(tmp_path / "p.json")
    r = reason("verify", "--facts", FIXED, "--timeout", "30", "--proof", str(tmp_path / "p.json"), str(ROOT / "queries"))
    _refused(r, "proof.would_overwrite", "not a regular file (a named pipe)")
    assert (tmp_path / "p.json").is_fifo()


def test_a_named_pipe_given_to_recheck_is_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "p.json")
    _refused(reason("recheck", "--timeout", "30", str(tmp_path / "p.json")), "proof.unreadable", "not a regular file")


def test_a_named_pipe_beside_a_rule_file_that_is_not_utf8_is_refused_at_once(tmp_path):
    """The located error for a policy file that is not UTF-8 read every policy file again, and waited on a pipe."""
    (tmp_path / "a.dl").write_bytes(b"// caf\xe9\n")
    os.mkfifo(tmp_path / "b.dl")
    r = reason("verify", "--facts", FIXED, "--timeout", "30", str(tmp_path / "a.dl"), str(tmp_path / "b.dl"))
    _refused(r, "a.dl:1:7: error[io]: rule file is not UTF-8 text",
             "b.dl:0:0: error[io]: cannot read rule file: not a regular file")
