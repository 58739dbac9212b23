"""Estate-wide benchmark: each question as a fresh ``reason`` process, wall and CPU time, peak RSS.

For each size: generate the estate (``generate.py``; the ``private`` variant, and the ``internet``
variant for the questions about the internet), import it once with ``reason import`` (measured too),
then run every selected question ``--runs`` times, each in a new process. Per run: wall time, CPU time
of the child (user + sys, from ``os.wait4``) and its peak RSS (``ru_maxrss``). Reported: the medians,
as a markdown table (stdout and ``.md``) and a JSON file with every run and the machine
(``benchmarks/results/estate-<UTC time>-<commit>.json``).

A run over ``--timeout`` seconds (wall) is killed with its process group and reported as ``> T s
(timeout)``; on a shared machine ``--cpu-timeout T`` bounds the child's CPU time instead (RLIMIT_CPU,
reported as ``> T s CPU (timeout)``; the wall limit stays as a safety net). The question's remaining
runs at that size, and the larger sizes, are skipped (reported as not run). A verb or option the CLI does not have (exit 2, "No such command/option") is reported as
``n/a (not implemented)``; any other exit 2 as an error. Each cell also gives the exit code, flagged
UNEXPECTED when it differs from what the generated estate must answer (``Question.expect``).

    python benchmarks/estate.py                                  # 1k, 20k, 100k; 5 runs; 600 s timeout
    python benchmarks/estate.py --sizes 1000 --runs 1 --cpu-timeout 10   # quick look
    python benchmarks/estate.py --sizes 20000 --questions star-to-x isolation --cpu-timeout 120
    python benchmarks/estate.py --sizes 20000 --cache import     # the first question after `reason import`
    python benchmarks/estate.py --sizes 20000 --cache warm       # a snapshot asked before: its classes on disk

Every child uses one cache folder (``<work>/cache``: ``REASON_CACHE_DIR``).  ``--cache cold`` (the default)
empties it of symmetry classes before each run (reasoner/engine/symmetry_cache.py), so each run computes them, as
the first question on a snapshot imported elsewhere (or with the cache evicted) does; the parsed rules stay (any
installation has them after its first run).  ``--cache import`` puts back, before each run, exactly the classes the
estate's own ``reason import`` kept (it runs with a cache folder of its own, ``<work>/cache-import-<estate>``): the
first question after an import on the same machine.  ``--cache warm`` runs each question once unmeasured first, so
every measured run reads them.  The
``reasoner`` package is compiled to bytecode first (``precompile``), as an installed wheel is.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402
from machine import machine_info  # noqa: E402

NOT_IMPLEMENTED = ("No such command", "No such option")


@dataclass(frozen=True)
class Limits:
    """Per-run limits: wall seconds (the process group is killed), and optionally CPU seconds (RLIMIT_CPU)."""

    wall: float
    cpu: float | None = None

    @property
    def text(self) -> str:
        return f"{self.cpu:g} s CPU" if self.cpu else f"{self.wall:g} s"

    def apply_cpu(self, pid: int) -> None:
        """The kernel stops ``pid`` (SIGXCPU, then SIGKILL) after ``cpu`` CPU seconds in total."""
        if self.cpu:
            limit = max(1, int(self.cpu))
            resource.prlimit(pid, resource.RLIMIT_CPU, (limit, limit + 2))


@dataclass(frozen=True)
class Question:
    """One benchmark question: the ``reason`` arguments for a facts folder and the generator's picks."""

    title: str
    variant: str
    args: Callable[[str, dict[str, Any], Path], list[str]]
    expect: int | None  # the exit code the generated estate must give (None: not fixed, e.g. an audit)


def _pair(which: str) -> Callable[[str, dict[str, Any], Path], list[str]]:
    return lambda f, p, _: ["query", "--facts", f, f"{p[which]['src']} -> {p[which]['dst']} {p[which]['proto']}"]


def _verify_file(p: dict[str, Any], work: Path) -> str:
    path = work / "isolation.reason"
    path.write_text(f"assert unreachable {p['sg_a']} -> {p['sg_b']} any   # web-0 never opens anything on db-0\n")
    return str(path)


def _opened_copy(raw: Path, p: dict[str, Any]) -> str:
    """A copy of the generated snapshot ``raw`` in which sg-B (db) admits tcp 5432 from sg-A (web): the "after" of the
    ``diff`` question: every web ENI gains db-0 and its fleet on tcp 5432, the benchmark's unreachable pair.  Written once per estate (next to it)."""
    after = raw.parent / f"{raw.name}-opened"
    if not after.exists():
        shutil.copytree(raw / "aws_configs", after / "aws_configs")
        for path in (after / "aws_configs").rglob("SecurityGroups.json"):
            data = json.loads(path.read_text())
            for g in data["SecurityGroups"]:
                if g["GroupId"] == p["sg_b"]:
                    g["IpPermissions"].append({"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                                               "UserIdGroupPairs": [{"GroupId": p["sg_a"]}]})
            path.write_text(json.dumps(data))
    return str(after)


QUESTIONS: dict[str, Question] = {
    "point-reachable": Question("point query, reachable pair (web-0 -> api-0 tcp 8000)", "private", _pair("reachable"), 0),
    "point-unreachable": Question("point query, unreachable pair (web-0 -> db-0 tcp 5432)", "private", _pair("unreachable"), 1),
    "star-to-x": Question("`* -> X tcp 22` (nobody reaches X)", "private",
                          lambda f, p, _: ["query", "--facts", f, f"* -> {p['x']} tcp 22"], 1),
    "isolation": Question("`sg-A -> sg-B any` (isolated groups)", "private",
                          lambda f, p, _: ["query", "--facts", f, f"{p['sg_a']} -> {p['sg_b']} any"], 1),
    "verify-isolation": Question("`reason verify`: `assert unreachable sg-A -> sg-B any`", "private",
                                 lambda f, p, w: ["verify", "--facts", f, _verify_file(p, w)], 0),
    "internet-to-all": Question("`internet -> * tcp 22` (internet variant: bastions exposed)", "internet",
                                lambda f, p, _: ["query", "--facts", f, "internet -> * tcp 22"], 0),
    "internet-to-none": Question("`internet -> * tcp 22` (private variant: nobody exposed)", "private",
                                 lambda f, p, _: ["query", "--facts", f, "internet -> * tcp 22"], 1),
    "audit-exposure": Question("`reason audit exposure` (internet variant)", "internet",
                               lambda f, p, _: ["audit", "exposure", "--facts", f], None),
    "diff": Question("`reason diff` of the raw snapshot and a copy where sg-B admits tcp 5432 from sg-A (both imported)",
                     "private", lambda f, p, raw: ["diff", str(raw), _opened_copy(raw, p)], None),
    "audit-pairs": Question("`reason audit pairs --by subnet tcp 22`", "private",
                            lambda f, p, _: ["audit", "pairs", "--facts", f, "--by", "subnet", "tcp", "22"], None),
}


def reason_cmd() -> list[str]:
    """The ``reason`` entry point of this interpreter's environment (else ``python -m reasoner``)."""
    script = Path(sys.executable).parent / "reason"
    return [str(script)] if script.exists() else [sys.executable, "-m", "reasoner"]


def precompile() -> str:
    """Compiles the installed ``reasoner`` package to bytecode, as ``pip install`` of a wheel does, and returns its
    folder.  An editable install under ``PYTHONDONTWRITEBYTECODE`` (some sandboxes set it) would otherwise compile
    every module again in every child (about 0.07 s of each run); the children still read the files written here."""
    folder = subprocess.run([sys.executable, "-c", "import os, reasoner; print(os.path.dirname(reasoner.__file__))"],
                            check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", folder], check=True)
    return folder


def measure(argv: list[str], limits: Limits, cache: Path | None = None, cold: bool = True,
            seed: Path | None = None) -> dict[str, Any]:
    """Runs ``argv`` once as a new process (own session); wall, CPU (user + sys) and peak RSS of that child.
    ``cache``: the children's cache folder; ``cold``: without the symmetry classes of earlier runs; ``seed``: a
    folder whose classes are copied in after that (what an import kept)."""
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("REASON_NO_CACHE", None)
    if cache is not None:
        env["REASON_CACHE_DIR"] = str(cache)
        if cold:
            for f in cache.glob("classes-*.json"):
                f.unlink()
        if seed is not None:
            cache.mkdir(parents=True, exist_ok=True, mode=0o700)
            for f in seed.glob("classes-*.json"):
                shutil.copyfile(f, cache / f.name)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True,
                                env=env)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(limits.wall, kill)
        timer.start()
        try:
            limits.apply_cpu(proc.pid)
        except ProcessLookupError:  # already gone: nothing to limit
            pass
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # Ctrl-C: leave nothing running
            kill()
            os.wait4(proc.pid, 0)
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    first = next((line.strip() for line in (stdout + "\n" + stderr).splitlines() if line.strip()), "")
    cpu = usage.ru_utime + usage.ru_stime
    # only the CPU limit sends SIGXCPU (SIGKILL follows at the hard limit, should SIGXCPU be ignored); `reason`'s
    # evaluating child inherits the limit, and the command then exits 2 saying so (reasoner/supervise.py)
    cpu_out = bool(limits.cpu) and not timed_out.is_set() and (
        proc.returncode == -signal.SIGXCPU or (proc.returncode == -signal.SIGKILL and cpu >= 0.9 * limits.cpu)
        or (proc.returncode == 2 and "error[cpu_limit]" in stderr))
    return {"exit": proc.returncode, "timed_out": timed_out.is_set() or cpu_out,
            "timeout_kind": "wall" if timed_out.is_set() else "cpu" if cpu_out else None, "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3), "user_s": round(usage.ru_utime, 3),
            "sys_s": round(usage.ru_stime, 3), "maxrss_mb": round(usage.ru_maxrss / 1024, 1),
            "not_implemented": proc.returncode == 2 and any(s in stderr for s in NOT_IMPLEMENTED),
            "first_line": first[:200]}


def summarise(runs: list[dict[str, Any]], limits: Limits, expect: int | None) -> dict[str, Any]:
    """Status and medians of a question's runs at one size."""
    last = runs[-1]
    if last["timed_out"]:
        limit = f"{limits.wall:g} s" if last["timeout_kind"] == "wall" else limits.text
        return {"status": "timeout", "cell": f"> {limit} (timeout)", "cpu_s_at_kill": last["cpu_s"]}
    if last["not_implemented"]:
        return {"status": "not_implemented", "cell": "n/a (not implemented)"}
    if last["exit"] == 2 or last["exit"] < 0:
        return {"status": "error", "cell": f"error (exit {last['exit']}): {last['first_line'][:80]}"}
    med = {k: round(statistics.median(r[k] for r in runs), 3) for k in ("wall_s", "cpu_s", "maxrss_mb")}
    verdict = {0: "exit 0", 1: "exit 1", 3: "inconclusive"}.get(last["exit"], f"exit {last['exit']}")
    wrong = expect is not None and any(r["exit"] != expect for r in runs)
    return {"status": "ok", **med, "exit": last["exit"], "unexpected_exit": wrong,
            "cell": f"{med['cpu_s']:.2f} s CPU, {med['wall_s']:.2f} s wall, {med['maxrss_mb']:.0f} MB"
                    + (f" ({verdict}{' UNEXPECTED' if wrong else ''})")}


def prepare(n: int, variant: str, seed: int, root: Path, limits: Limits) -> dict[str, Any]:
    """Generates the estate (in this process) and imports it (``reason import``, a measured child)."""
    raw, facts = root / f"n{n}-{variant}", root / f"n{n}-{variant}-facts"
    t = time.perf_counter()
    meta = generate.write(raw, n, seed, variant)
    gen_s = time.perf_counter() - t
    kept = root / f"cache-import-n{n}-{variant}"  # the classes this import keeps (``--cache import``)
    shutil.rmtree(kept, ignore_errors=True)
    imp = measure(reason_cmd() + ["import", str(raw), "--out", str(facts)], limits, kept, cold=True)
    if imp["exit"] != 0:
        raise SystemExit(f"reason import of {raw} failed: {imp['first_line']}")
    counts = json.loads((facts / "manifest.json").read_text())["counts"]
    return {"raw": str(raw), "facts": str(facts), "kept": str(kept), "generate_s": round(gen_s, 2), "import": imp, "picks": meta["picks"],
            "roles": meta["roles"], "facts_total": sum(counts.values()), "enis": counts.get("eni", 0)}


def label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def run(sizes: list[int], names: list[str], runs: int, limits: Limits, seed: int, root: Path,
        log: Callable[[str], None], cache: str = "cold") -> dict[str, Any]:
    """Every selected question at every size; the JSON-ready result."""
    folder = root / "cache"
    result: dict[str, Any] = {"schema": "reason.bench.estate/v1", "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                              "machine": machine_info(HERE.parent), "runs": runs, "cache": cache, "timeout_s": limits.wall,
                              "cpu_timeout_s": limits.cpu, "timeout": limits.text, "seed": seed,
                              "questions": {k: QUESTIONS[k].title for k in names}, "sizes": {},
                              "bytecode": precompile()}
    timed_out_at: dict[str, int] = {}  # a question that timed out is not asked again at a larger size
    for n in sorted(sizes):
        size: dict[str, Any] = {"estates": {}, "questions": {}}
        result["sizes"][str(n)] = size
        for variant in sorted({QUESTIONS[k].variant for k in names}):
            est = prepare(n, variant, seed, root, limits)
            size["estates"][variant] = est
            log(f"{label(n)} {variant}: generated in {est['generate_s']:.1f} s, imported in {est['import']['wall_s']:.1f} s "
                f"wall / {est['import']['cpu_s']:.1f} s CPU ({est['facts_total']} facts)")
        for name in names:
            q = QUESTIONS[name]
            if name in timed_out_at:
                size["questions"][name] = {"status": "skipped", "runs": [],
                                           "cell": f"> {limits.text} (not run: timed out at {label(timed_out_at[name])})"}
                log(f"{label(n)} {name}: {size['questions'][name]['cell']}")
                continue
            est = size["estates"][q.variant]
            argv = q.args(est["facts"], est["picks"], Path(est["raw"]))
            done: list[dict[str, Any]] = []
            if cache == "warm":  # unmeasured: fills the cache folder
                measure(reason_cmd() + argv, limits, folder, cold=False)
            for _ in range(runs):
                done.append(measure(reason_cmd() + argv, limits, folder, cold=cache != "warm",
                                    seed=Path(est["kept"]) if cache == "import" else None))
                if done[-1]["timed_out"] or done[-1]["not_implemented"] or done[-1]["exit"] == 2:
                    break
            summary = summarise(done, limits, q.expect)
            size["questions"][name] = {"argv": ["reason"] + argv, "runs": done, **summary}
            if summary["status"] == "timeout":
                timed_out_at[name] = n
            log(f"{label(n)} {name}: {summary['cell']}  [{done[-1]['first_line'][:100]}]")
    result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    result["machine"]["loadavg_end"] = list(os.getloadavg())
    return result


def markdown(result: dict[str, Any]) -> str:
    """The medians: one row per question, one column per size (CPU, wall, peak RSS, exit code)."""
    sizes = list(result["sizes"])
    m = result["machine"]
    cache = result.get("cache", "cold")
    lines = [f"Median of {result['runs']} fresh `reason` processes per cell (CPU = user + sys of the child), "
             + ("snapshots asked before (their symmetry classes on disk), " if cache == "warm" else
                "each reading the symmetry classes its snapshot's `reason import` kept, " if cache == "import" else
                "each computing the snapshot's symmetry classes (cold cache), ")
             +
             f"timeout {result['timeout']}; {m['cpu_model']}, {m['nproc']} CPUs, Python {m['python']}, "
             f"commit {m['commit'][:10]}{' (dirty)' if m.get('dirty') else ''}, load average at start {m['loadavg'][0]:.1f}.", "",
             "| question | " + " | ".join(f"{label(int(n))} ENIs" for n in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    imports = []
    for n in sizes:
        ests = result["sizes"][n]["estates"]
        imports.append(", ".join(f"{v}: gen {e['generate_s']:.1f} s, import {e['import']['cpu_s']:.1f} s CPU / "
                                 f"{e['import']['wall_s']:.1f} s wall" for v, e in ests.items()))
    lines.append("| generate + `reason import` | " + " | ".join(imports) + " |")
    for name, title in result["questions"].items():
        cells = [result["sizes"][n]["questions"].get(name, {}).get("cell", "") for n in sizes]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000, 100000], help="ENI counts")
    ap.add_argument("--questions", nargs="+", choices=list(QUESTIONS), default=[q for q in QUESTIONS if q != "diff"],
                    metavar="Q", help="any of: " + ", ".join(QUESTIONS) + " (all but diff by default: it asks `* -> * "
                    "any` of two snapshots, minutes at 20k, not for 100k)")
    ap.add_argument("--runs", type=int, default=5, help="fresh processes per question and size (median)")
    ap.add_argument("--timeout", type=float, default=600, help="wall seconds per run")
    ap.add_argument("--cpu-timeout", type=float, default=None,
                    help="CPU seconds per run (the limit on a shared machine; --timeout stays a wall safety net)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, default=HERE / "out" / "estate", help="where estates and facts are written")
    ap.add_argument("--results", type=Path, default=HERE / "results", help="where the JSON and markdown go")
    ap.add_argument("--cache", choices=["cold", "import", "warm"], default="cold",
                    help="cold: each run computes the symmetry classes; import: reads those the import kept; "
                         "warm: read from an earlier run's cache")
    args = ap.parse_args()
    if shutil.which(reason_cmd()[0]) is None:
        raise SystemExit("reason is not installed in this environment: pip install -e .")
    result = run(args.sizes, args.questions, args.runs, Limits(args.timeout, args.cpu_timeout), args.seed, args.work,
                 lambda s: print(s, file=sys.stderr, flush=True), cache=args.cache)
    table = markdown(result)
    args.results.mkdir(parents=True, exist_ok=True)
    stem = (f"estate-{result['started'].replace(':', '').replace('-', '')}-{result['machine']['commit'][:8]}"
            + ("" if args.cache == "cold" else f"-{args.cache}"))
    (args.results / f"{stem}.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.results / f"{stem}.md").write_text(table)
    print(table)
    print(f"wrote {args.results / stem}.json and .md", file=sys.stderr)


if __name__ == "__main__":
    main()
