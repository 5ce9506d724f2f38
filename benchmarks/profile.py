"""Sampling profiles of the servers under load (py-spy on every worker), summarized as text.

Only samples of threads holding the GIL count (``--gil``): that is the Python CPU time the
workers spend, without threads parked in epoll, queues or socket writes. py-spy needs ptrace on the workers (root, or kernel.yama.ptrace_scope=0); when it cannot attach,
the summary says so instead of failing the run.
"""

from __future__ import annotations

import collections
import re
import subprocess
from pathlib import Path

from benchmarks.load import Load
from benchmarks.procs import VENV_BIN
from benchmarks.stack import Scenario

PROJECT_PACKAGES = ("authserver/", "resource/", "shared/")
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*)\)$")


def record(load: Load, scenario: Scenario, out_dir: Path, seconds: float) -> str:
    """Load the scenario while py-spy samples each server's master and workers; return a summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    spies = []
    for server in scenario.servers:
        output = out_dir / f"{scenario.key}-{server.name}.txt"
        command = [
            str(VENV_BIN / "py-spy"),
            "record",
            "--pid",
            str(server.process.pid),
            "--subprocesses",
            "--format",
            "raw",
            "--nolineno",
            "--rate",
            "250",
            "--nonblocking",
            "--gil",
            "--duration",
            str(round(seconds)),
            "--output",
            str(output),
        ]
        spies.append((server, output, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)))
    load.run(scenario.request, duration=seconds)
    summaries = []
    for server, output, spy in spies:
        log, _ = spy.communicate(timeout=seconds + 60)
        if spy.returncode != 0 or not output.exists():
            summaries.append(
                f"  {server.name}: py-spy could not sample ({log.decode(errors='replace').strip()[-200:]})"
            )
            continue
        summaries.append(f"  {server.name} ({output}):\n" + summarize(output.read_text()))
    return f"profile of ({scenario.key}) {scenario.label}:\n" + "\n".join(summaries)


def summarize(collapsed: str, top: int = 18) -> str:
    """Inclusive share per function (a function counted once per stack) and self share per leaf."""
    inclusive: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_label(frame) for frame in stack.split(";")]
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        leaf[frames[-1]] += count
    if not total:
        return "    no samples"
    lines = [f"    {total} samples holding the GIL; inclusive share (ours and libraries):"]
    shown = [(name, n) for name, n in inclusive.most_common() if not _is_server_plumbing(name)][:top]
    lines += [f"    {100 * n / total:5.1f}%  {name}" for name, n in shown]
    lines.append("    self (leaf frames):")
    lines += [f"    {100 * n / total:5.1f}%  {name}" for name, n in leaf.most_common(top // 2)]
    return "\n".join(lines)


def _label(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        for package in PROJECT_PACKAGES:
            if package in path:
                path = package + path.split(package, 1)[1]
                break
    return f"{match['function']} ({path})"


def _is_server_plumbing(name: str) -> bool:
    return name.startswith("process ") or any(
        part in name for part in ("gunicorn/", "uwsgi", "threading.py", "concurrent/futures", "<module>", "granian/")
    )
