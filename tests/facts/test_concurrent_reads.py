"""Readers see the old or the new facts directory while an import replaces it, never a missing or mixed one
(issue 10, item 9)."""

from __future__ import annotations

import threading
from pathlib import Path

from reasoner.facts.importer import import_aws_configs, load_snapshot, write_facts
from reasoner.query.names import load_aliases

ROOT = Path(__file__).resolve().parents[2]


def test_reads_during_repeated_imports_see_one_whole_version(tmp_path: Path) -> None:
    old = import_aws_configs(ROOT / "facts")
    new = import_aws_configs(ROOT / "facts" / "examples" / "seed-fixed")
    new.names = dict(new.names, **{"eni-0alb0a": "renamed"})  # the versions differ in names.json too
    out = tmp_path / "facts"
    write_facts(old, out)
    (out / "reason.toml").write_text('[aliases]\nweb = "eni-0alb0a"\n')
    hashes = {load_snapshot(out).manifest["content_hash"]}
    write_facts(new, out)
    hashes.add(load_snapshot(out).manifest["content_hash"])
    assert len(hashes) == 2

    stop = threading.Event()
    errors: list[BaseException] = []
    seen: list[str] = []

    def writer() -> None:
        try:
            for i in range(30):
                write_facts(old if i % 2 else new, out)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            stop.set()

    def reader() -> None:
        while not stop.is_set():
            try:
                snap = load_snapshot(out)
                seen.append(snap.manifest["content_hash"])
                assert load_aliases(out) == {"web": "eni-0alb0a"}, "reason.toml is carried over and always readable"
            except BaseException as exc:
                errors.append(exc)
                return

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, f"{len(errors)} failed reads, first: {errors[0]!r}"
    assert seen and set(seen) <= hashes, "every read is one whole version"
    assert [p.name for p in tmp_path.iterdir()] == ["facts"], "no staging folder left"
