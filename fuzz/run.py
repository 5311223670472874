"""Fuzz ``read_table`` and the whole pipeline; every input runs in a child process.

Usage (from the project's root, in its virtual environment)::

    python fuzz/run.py --minutes 30 --target read_table [--corpus DIR]
    python fuzz/run.py --executions 500 --target both --engine random --seed 7
    python fuzz/run.py --reproduce fuzz/findings/read_table-crash-0123456789ab.xlsx --target read_table

Engines:

- ``atheris`` (the default when atheris is installed: ``pip install atheris``):
  coverage-guided by the library's Python code (the checks that run before
  the native reader), with the structure-aware mutators of
  :mod:`targets` as libFuzzer's custom mutator, half the time, and
  libFuzzer's own byte mutations the other half. libFuzzer runs in a child
  process; when an input kills it, the input is saved and a new child goes
  on with the corpus gathered so far.
- ``random``: the structure-aware mutators alone, reproducible from
  ``--seed``; inputs are sent one by one to a worker child process. This is
  the engine of the test suite's short run.

Each child has an address-space cap (``--memory-mib``, 2 GiB) and no core
dumps. Each input has a time bound: with the random engine, ``--timeout``
seconds, plus as many per MiB of input, plus a quarter as many per MiB its
zip entries inflate to (an input that overruns it once but not on a second
try in a fresh worker counts as slow, not as a finding); with libFuzzer, a
fixed ``2 × --timeout``. A finding is an input whose run raises anything but
an ``UpflowImportError`` with a code, breaks an invariant of the table or the
report, aborts or kills the child, hangs past its bound, or hits the memory
cap. Findings are saved under ``--findings`` (default ``fuzz/findings/``),
each with a ``.json`` note: the target, what happened, the seed file and the
mutations. The last line printed is a JSON summary (executions, findings,
outcomes).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import io
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MiB = 1024 * 1024
MAX_LEN = 4 * MiB


def _limit_child(memory_mib: int) -> None:
    """Cap the address space, forbid core dumps."""
    size = memory_mib * MiB
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _extension(data: bytes) -> str:
    if data.startswith(b"PK"):
        if b"xl/workbook.bin" in data:
            return ".xlsb"
        if b"content.xml" in data or b"mimetype" in data[:100]:
            return ".ods"
        return ".xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return ".xls"
    return ".csv"


def time_bound(data: bytes, seconds: float) -> float:
    """The time an input may take: ``seconds``, plus as many per MiB of it, plus a quarter as many
    per MiB its zip entries inflate to (a sheet's XML is many times its compressed size)."""
    inflated = 0
    if data.startswith(b"PK"):
        with contextlib.suppress(Exception):
            inflated = min(sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist()),
                           256 * MiB)
    return seconds * (1 + len(data) / MiB + inflated / MiB / 4)


# --------------------------------------------------------------------------------------------
# Worker (random engine): reads length-prefixed inputs on stdin, answers one JSON line each.


def worker(target: str, memory_mib: int) -> None:
    _limit_child(memory_mib)
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(HERE))
    from targets import Finding, run_target  # noqa: PLC0415

    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever the library or calamine prints goes to stderr, not into the answers
    requests = sys.stdin.buffer
    while True:
        header = requests.read(4)
        if len(header) < 4:
            return
        (size,) = struct.unpack("<I", header)
        data = requests.read(size)
        try:
            answer: dict[str, Any] = {"outcome": run_target(target, data)}
        except Finding as finding:
            cause = finding.__cause__ or finding
            answer = {"finding": str(finding),
                      "traceback": "".join(traceback.format_exception(cause))[-4000:]}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


class Worker:
    """A worker child process for one target, restarted when it dies."""

    def __init__(self, target: str, memory_mib: int, log: Path) -> None:
        self.target = target
        self.memory_mib = memory_mib
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.buffer = b""

    def start(self) -> subprocess.Popen[bytes]:
        if self.process is None or self.process.poll() is not None:
            self.log.write_bytes(b"")
            with self.log.open("ab") as stderr:
                self.process = subprocess.Popen(
                    [sys.executable, str(Path(__file__).resolve()), "--worker", self.target,
                     "--memory-mib", str(self.memory_mib)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
            self.buffer = b""
        return self.process

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
        self.process = None

    def run(self, data: bytes, timeout: float) -> dict[str, Any]:
        """The worker's answer, or ``{"crash": …}`` / ``{"hang": …}``."""
        process = self.start()
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(struct.pack("<I", len(data)) + data)
            process.stdin.flush()
        except (BrokenPipeError, OSError):
            return self._died(process)
        deadline = time.monotonic() + timeout
        fd = process.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                return {"hang": f"no answer within {timeout:.0f} s", "stderr": self._stderr()}
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return self._died(process)
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        answer: dict[str, Any] = json.loads(line)
        if "MemoryError" in answer.get("finding", ""):
            self.stop()
        if self.log.stat().st_size > 50 * MiB:
            os.truncate(self.log, 0)
        return answer

    def _died(self, process: subprocess.Popen[bytes]) -> dict[str, Any]:
        status = process.wait()
        self.stop()
        name = signal.Signals(-status).name if status < 0 and -status in signal.valid_signals() else ""
        return {"crash": f"the worker died with status {status} {name}".strip(), "stderr": self._stderr()}

    def _stderr(self) -> str:
        try:
            return self.log.read_bytes()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""


# --------------------------------------------------------------------------------------------
# Findings and statistics


class Results:
    def __init__(self, findings: Path, quiet: bool) -> None:
        self.findings = findings
        self.quiet = quiet
        self.executions = 0
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.found: list[dict[str, Any]] = []
        self.started = time.monotonic()
        self.last_print = self.started

    def outcome(self, target: str, text: str) -> None:
        self.executions += 1
        words = text.split()
        self.outcomes[f"{target}: {' '.join(words[:2]) if words[0] in ('table', 'error') else words[0]}"] += 1
        now = time.monotonic()
        if not self.quiet and now - self.last_print > 30:
            self.last_print = now
            rate = self.executions / (now - self.started)
            print(f"[{now - self.started:6.0f} s] {self.executions} executions ({rate:.0f}/s), "
                  f"{len(self.found)} findings", flush=True)

    def finding(self, target: str, kind: str, data: bytes, note: dict[str, Any]) -> Path:
        self.findings.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha1(data).hexdigest()[:12]
        path = self.findings / f"{target}-{kind}-{digest}{_extension(data)}"
        path.write_bytes(data)
        record = {"target": target, "kind": kind, "file": path.name, "bytes": len(data), **note}
        path.with_suffix(path.suffix + ".json").write_text(json.dumps(record, indent=2) + "\n")
        self.found.append(record)
        if not self.quiet:
            print(f"FINDING {kind} on {target}: {path.name}: "
                  f"{note.get('finding') or note.get('crash') or note.get('hang')}", flush=True)
        return path

    def summary(self, engine: str) -> dict[str, Any]:
        seconds = time.monotonic() - self.started
        return {"engine": engine, "executions": self.executions, "seconds": round(seconds, 1),
                "per_second": round(self.executions / max(seconds, 1e-9), 1),
                "findings": [{key: record[key] for key in ("target", "kind", "file")}
                             for record in self.found],
                "outcomes": dict(self.outcomes.most_common())}


# --------------------------------------------------------------------------------------------
# Random engine


def random_engine(args: argparse.Namespace, targets: list[str], results: Results) -> None:
    sys.path.insert(0, str(HERE))
    from targets import Mutator, corpus_seeds, synthetic_seeds  # noqa: PLC0415

    warnings.simplefilter("ignore")
    parent_cap = 2 * args.memory_mib * MiB  # the mutators' own memory, should they go astray
    resource.setrlimit(resource.RLIMIT_AS, (parent_cap, resource.getrlimit(resource.RLIMIT_AS)[1]))
    seeds = synthetic_seeds() + [seed for folder in args.corpus for seed in corpus_seeds(folder)]
    mutator = Mutator(random.Random(args.seed), seeds)
    logs = Path(tempfile.mkdtemp(prefix="upflow-fuzz-"))
    workers = {target: Worker(target, args.memory_mib, logs / f"{target}.log") for target in targets}
    deadline = time.monotonic() + args.minutes * 60 if args.minutes else None
    try:
        index = 0
        while (args.executions is None or results.executions < args.executions) and (
                deadline is None or time.monotonic() < deadline):
            target = targets[index % len(targets)]
            index += 1
            try:
                data, seed_name, log = mutator.input()
            except MemoryError:  # the parent's own cap: a mutation grew too much, draw another
                continue
            data = data[:MAX_LEN]
            timeout = time_bound(data, args.timeout)
            answer = workers[target].run(data, timeout)
            if "outcome" in answer:
                results.outcome(target, answer["outcome"])
                continue
            results.outcome(target, "finding")
            kind = "exception" if "finding" in answer else "hang" if "hang" in answer else "crash"
            note = {**answer, "seed": seed_name, "mutations": log, "random_seed": args.seed,
                    "execution": results.executions}
            if kind != "exception":
                again = workers[target].run(data, timeout)
                note["reproduced"] = "outcome" not in again
                if kind == "hang" and not note["reproduced"]:
                    # Slow once (a busy machine), within the bound the second time: not a finding.
                    results.outcomes[f"{target}: slow once, not reproduced"] += 1
                    continue
            results.finding(target, kind, data, note)
    finally:
        for each in workers.values():
            each.stop()
        shutil.rmtree(logs, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Atheris engine


def atheris_child(target: str, memory_mib: int, libfuzzer_args: list[str]) -> None:
    _limit_child(memory_mib)
    warnings.simplefilter("ignore")
    import atheris  # type: ignore[import-not-found]  # noqa: PLC0415

    sys.path.insert(0, str(HERE))
    with atheris.instrument_imports(include=["upflow_import"]):
        import upflow_import  # noqa: F401, PLC0415
    from targets import Mutator, run_target, synthetic_seeds  # noqa: PLC0415

    seeds = synthetic_seeds()

    def test_one_input(data: bytes) -> None:
        run_target(target, data)

    def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < 0.5:
            return bytes(atheris.Mutate(data, max_size))
        kind = _extension(data)[1:].replace("xlsb", "xlsx")
        mutated: bytes = Mutator(rng, seeds).mutate(data, kind)
        return mutated[:max_size]

    atheris.Setup([sys.argv[0], *libfuzzer_args], test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


_EXECUTIONS = re.compile(rb"^#(\d+)\s", re.MULTILINE)
_FINAL = re.compile(rb"stat::number_of_executed_units:\s*(\d+)")


def atheris_engine(args: argparse.Namespace, targets: list[str], results: Results) -> None:
    sys.path.insert(0, str(HERE))
    from targets import corpus_seeds, synthetic_seeds  # noqa: PLC0415

    seconds = (args.minutes or 10) * 60
    share = seconds / len(targets)
    for target in targets:
        work = args.work / target
        if not work.is_dir() or not any(work.iterdir()):
            work.mkdir(parents=True, exist_ok=True)
            for seed in synthetic_seeds() + [s for folder in args.corpus for s in corpus_seeds(folder)]:
                (work / re.sub(r"[^\w.-]", "_", seed.name)).write_bytes(seed.data)
        artifacts = Path(tempfile.mkdtemp(prefix="upflow-fuzz-artifacts-"))
        deadline = time.monotonic() + share
        runs = 0
        while time.monotonic() < deadline - 5:
            runs += 1
            left = int(deadline - time.monotonic())
            command = [sys.executable, str(Path(__file__).resolve()), "--atheris-child", target,
                       "--memory-mib", str(args.memory_mib), "--", str(work),
                       f"-artifact_prefix={artifacts}/", f"-timeout={int(args.timeout * 2)}",
                       f"-rss_limit_mb={args.memory_mib}", f"-max_total_time={left}", f"-max_len={MAX_LEN}",
                       "-print_final_stats=1", f"-seed={args.seed + runs}", "-close_fd_mask=1"]
            with tempfile.TemporaryFile() as log:
                try:
                    status = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=log, check=False,
                                            timeout=left + 120).returncode
                except subprocess.TimeoutExpired:
                    # libFuzzer's own -timeout did not end it (a unit stuck where its alarm cannot
                    # interrupt): run() has killed it; what it ran still counts, and a unit it
                    # left behind is collected like any other.
                    status = -signal.SIGKILL
                    results.outcomes[f"{target}: libFuzzer runs killed by the harness"] += 1
                log.seek(0)
                output = log.read()
            final = _FINAL.findall(output)
            counts = final or _EXECUTIONS.findall(output)
            executed = int(counts[-1]) if counts else 0
            results.executions += executed
            results.outcomes[f"{target}: libFuzzer runs"] += 1
            _collect(artifacts, target, output, status, results, args=args)
            if not results.quiet:
                print(f"[{target}] libFuzzer run {runs} ended with status {status} after "
                      f"{executed} executions", flush=True)
        shutil.rmtree(artifacts, ignore_errors=True)


_TELLING = ("memory allocation of", "panicked at", "Uncaught Python exception", "Error:", "ALARM",
            "deadly signal", "out-of-memory", "Finding")


def _collect(artifacts: Path, target: str, output: bytes, status: int, results: Results, *,
             args: argparse.Namespace) -> None:
    for artifact in sorted(artifacts.iterdir()):
        kind = artifact.name.split("-", 1)[0]
        if kind == "slow":  # slower than libFuzzer's report threshold, within the time bound
            results.outcomes[f"{target}: slow units (within the time bound)"] += 1
            artifact.unlink()
            continue
        data = artifact.read_bytes()
        if kind == "timeout" and _within_bound_uninstrumented(target, data, args):
            # atheris instruments every line of Python for coverage, which slows the checks
            # written in Python several times over: a unit is a hang only if a plain worker
            # overruns the time bound as well (as the random engine decides).
            results.outcomes[f"{target}: libFuzzer timeouts within the time bound uninstrumented"] += 1
            artifact.unlink()
            continue
        text = output.decode("utf-8", "replace")
        # The lines that say what happened (a Rust message comes before libFuzzer's own), then the end.
        telling = [line for line in text.splitlines() if any(mark in line for mark in _TELLING)]
        results.finding(target, {"crash": "crash", "timeout": "hang", "oom": "memory"}.get(kind, kind), data,
                        {"crash": f"libFuzzer {kind}, status {status}",
                         "stderr": "\n".join(telling[-20:]) + "\n...\n" + text[-2000:]})
        artifact.unlink()


def _within_bound_uninstrumented(target: str, data: bytes, args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory() as folder:
        worker = Worker(target, args.memory_mib, Path(folder) / "stderr.log")
        try:
            answer = worker.run(data, time_bound(data, args.timeout))
        finally:
            worker.stop()
    return "hang" not in answer


# --------------------------------------------------------------------------------------------
# Reproduction


def reproduce(args: argparse.Namespace, results: Results) -> None:
    data = args.reproduce.read_bytes()
    for target in _targets(args.target):
        with tempfile.TemporaryDirectory() as folder:
            each = Worker(target, args.memory_mib, Path(folder) / "log")
            answer = each.run(data, time_bound(data, args.timeout))
            each.stop()
        print(json.dumps({"target": target, **answer}, indent=2))
        results.outcome(target, answer.get("outcome", "finding"))
        if "outcome" not in answer:
            results.found.append({"target": target, "kind": "reproduced", "file": str(args.reproduce)})


def _targets(name: str) -> list[str]:
    return ["read_table", "pipeline"] if name == "both" else [name]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        worker(argv[1], int(argv[3]))
        return 0
    if argv[:1] == ["--atheris-child"]:
        atheris_child(argv[1], int(argv[3]), argv[5:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=["read_table", "pipeline", "both"], default="both")
    parser.add_argument("--minutes", type=float, help="run this long (default 10 without --executions)")
    parser.add_argument("--executions", type=int, help="random engine: stop after this many inputs")
    parser.add_argument("--corpus", type=Path, action="append", default=[],
                        help="a folder of spreadsheets to use as seeds too (repeatable)")
    parser.add_argument("--engine", choices=["atheris", "random"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--findings", type=Path, default=HERE / "findings")
    parser.add_argument("--work", type=Path, default=HERE / "work", help="atheris: the evolving corpus")
    parser.add_argument("--memory-mib", type=int, default=2048)
    parser.add_argument("--timeout", type=float, default=20.0,
                        help="seconds per input (plus as many per MiB)")
    parser.add_argument("--reproduce", type=Path, help="run this one file and print what happens")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the workers on the way out
    results = Results(args.findings, args.quiet)
    if args.reproduce is not None:
        reproduce(args, results)
        return 1 if results.found else 0
    engine = args.engine
    if engine is None:
        try:
            import atheris  # noqa: F401, PLC0415
        except ImportError:
            engine = "random"
        else:
            engine = "atheris"
    if engine == "atheris" and args.executions is not None:
        parser.error("--executions needs --engine random")
    if args.minutes is None and args.executions is None:
        args.minutes = 10
    targets = _targets(args.target)
    (atheris_engine if engine == "atheris" else random_engine)(args, targets, results)
    print(json.dumps(results.summary(engine)), flush=True)
    return 1 if results.found else 0


if __name__ == "__main__":
    raise SystemExit(main())
