"""Output-file options: a path that cannot be written is an input error (exit 2) naming it, found before the work
(`reason verify --proof`), never "internal error"."""

import json

from test_query import FACTS, ROOT, reason

QUERIES = str(ROOT / "queries")


def test_proof_in_a_missing_folder_is_refused_before_the_work(tmp_path):
    proof = tmp_path / "nodir" / "p.json"
    r = reason("verify", "--facts", str(FACTS / "examples" / "seed-fixed"), "--proof", str(proof), QUERIES)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    assert "proof.no_folder" in r.stderr and f"{tmp_path / 'nodir'} does not exist" in r.stderr
    assert "PASS" not in r.stdout and not (tmp_path / "nodir").exists()
    # before the work: the snapshot is not even opened (a missing one would be the error otherwise)
    r = reason("verify", "--facts", str(tmp_path / "no-such-facts"), "--proof", str(proof), QUERIES)
    assert r.returncode == 2 and "proof.no_folder" in r.stderr, r.stderr


def test_proof_under_a_file_or_at_a_folder_is_refused(tmp_path):
    (tmp_path / "afile").write_text("x")
    r = reason("verify", "--facts", str(FACTS), "--format", "json", "--proof", str(tmp_path / "afile" / "p.json"), QUERIES)
    err = json.loads(r.stdout)["error"]
    assert r.returncode == 2 and err["code"] == "proof.no_folder" and "is not a folder" in err["message"]
    assert err["location"] == str(tmp_path / "afile" / "p.json")
    r = reason("verify", "--facts", str(FACTS), "--proof", str(tmp_path), QUERIES)
    assert r.returncode == 2 and "is a folder, not a proof file" in r.stderr and "FAIL" not in r.stdout
    (tmp_path / "notes.txt").write_text("mine")
    r = reason("verify", "--facts", str(FACTS), "--proof", str(tmp_path / "notes.txt"), QUERIES)
    assert r.returncode == 2 and "not overwritten" in r.stderr and "FAIL" not in r.stdout  # refused before the run
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_writable_proof_path_is_still_written(tmp_path):
    proof = tmp_path / "p.json"
    r = reason("verify", "--facts", str(FACTS / "examples" / "seed-fixed"), "--proof", str(proof), QUERIES)
    assert r.returncode == 0 and json.loads(proof.read_text())["schema"] == "reason.proof/v2", r.stderr
    r = reason("verify", "--facts", str(FACTS / "examples" / "seed-fixed"), "--proof", str(proof), QUERIES)
    assert r.returncode == 0, r.stderr  # a proof file is replaced


def test_a_proof_path_that_is_a_symbolic_link_is_written_through(tmp_path):
    """`--proof latest.json` where latest.json is the user's link to proofs/2026-12.json: the link stays a link and
    its target gets the proof (as a shell's `>` writes), instead of the link being replaced by a file; a link to a
    file that is not a proof is refused like the file itself."""
    (tmp_path / "proofs").mkdir()
    link = tmp_path / "latest.json"
    link.symlink_to(tmp_path / "proofs" / "2026-12.json")  # dangling until the first proof
    for _ in range(2):  # created, then replaced
        r = reason("verify", "--facts", str(FACTS / "examples" / "seed-fixed"), "--proof", str(link), QUERIES)
        assert r.returncode == 0, r.stdout + r.stderr
        assert link.is_symlink() and json.loads((tmp_path / "proofs" / "2026-12.json").read_text())["schema"] == "reason.proof/v2"
    (tmp_path / "notes.txt").write_text("mine")
    other = tmp_path / "to-notes.json"
    other.symlink_to(tmp_path / "notes.txt")
    r = reason("verify", "--facts", str(FACTS), "--proof", str(other), QUERIES)
    assert r.returncode == 2 and "not overwritten" in r.stderr, r.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine" and other.is_symlink()


def test_an_existing_proof_target_nested_too_deep_is_refused_not_a_crash(tmp_path):
    """`--proof deep.json` where deep.json is 200,000 `[`: reading it to see whether it is a proof raised
    RecursionError (internal error); it is a file that is not a proof, refused and kept."""
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000)
    r = reason("verify", "--facts", str(FACTS / "examples" / "seed-fixed"), "--proof", str(deep), QUERIES)
    assert r.returncode == 2 and "is not a proof file; not overwritten" in r.stderr, r.stdout + r.stderr
    assert "internal error" not in r.stderr and deep.read_text() == "[" * 200_000


def test_whether_an_existing_file_is_a_proof_is_told_from_its_head_not_read_whole(tmp_path):
    """The whole file was read (and decoded) to find its schema: a proof of 20k ENIs is 18 MB, any file may be
    larger. Its first member says it, as `reason verify --proof` writes it."""
    import tracemalloc

    from reasoner.explain.proof_file import check_target

    big = tmp_path / "big.proof.json"
    with open(big, "wb") as f:
        f.write(b'{\n "schema": "reason.proof/v2",\n "tool_version": "0.1.0",\n')
        f.truncate(64 << 20)  # a sparse file: 64 MB without writing them
    tracemalloc.start()
    try:
        check_target(big)  # a proof: no error
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, peak
