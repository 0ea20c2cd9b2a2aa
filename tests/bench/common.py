"""What the benchmarks share: dependent rounds of AWS calls, the provider's peak RSS,
and the report of an apply against its critical path."""

from __future__ import annotations

import threading
import time
from pathlib import Path


def rounds(calls: list[dict], latency_s: float) -> int:
    """Dependent rounds: calls that start together (within half a latency) form one."""
    starts = sorted(c["t_start"] for c in calls)
    n, first = 0, None
    for t in starts:
        if first is None or t > first + latency_s / 2:
            n, first = n + 1, t
    return n


def peak_rss_mb(stop: threading.Event, out: list[float]) -> None:
    """Samples the RSS of every running terraform-provider-ode process."""
    peak = 0.0
    while not stop.is_set():
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            if "Name:\tterraform-provi" in text:  # /proc truncates names to 15 bytes
                for line in text.splitlines():
                    if line.startswith("VmRSS:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
        time.sleep(0.05)
    out.append(peak)


def report_latency(what: str, latency_ms: int, calls: list[dict], wall: float, base: float) -> None:
    """Prints an apply made with ``latency_ms`` added to every call (``wall`` seconds)
    against its critical path, less ``base``, the same apply without latency."""
    n = rounds(calls, latency_ms / 1000)
    bound = n * latency_ms / 1000
    print(f"\n{what} with {latency_ms} ms added to every AWS call:")
    print(f"  {len(calls)} calls in {n} dependent rounds: critical path {bound:.2f} s")
    print(
        f"  apply wall time {wall:.2f} s; less the same apply without latency ({base:.2f} s): "
        f"{wall - base:.2f} s = {(wall - base) / bound:.2f}x the critical path (goal <= 1.3x)"
    )
