"""Benchmark: how fast the synthetic borough is generated, and that its memory stays flat.

Each size runs in a fresh Python process, so the peak RSS reported is that run's alone. The
child also samples its peak RSS after the first few thousand people: if memory is flat in the
number of people, the final peak is barely above that early one.

    python benchmarks/seed.py                    # 100,000 and 1,000,000 people
    python benchmarks/seed.py --sizes 1000,5000  # a quick run

Prints a table and writes ``benchmarks/results/seed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "seed.json"

# Runs in the child process: generate, then report timings and memory as one JSON line.
CHILD = """
import json, resource, sys, tempfile, time
from pathlib import Path
from sharewell.demo.borough import generate_borough

people, seed = int(sys.argv[1]), int(sys.argv[2])
def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
samples = []
def progress(n):
    samples.append(peak_mib())
before = peak_mib()
with tempfile.TemporaryDirectory(prefix="sharewell-seed-") as tmp:
    start = time.perf_counter()
    summary = generate_borough(Path(tmp) / "borough", people=people, seed=seed, progress=progress)
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in summary.out_dir.rglob("*.csv"))
print(json.dumps({
    "people": people,
    "seed": seed,
    "seconds": seconds,
    "people_per_second": people / seconds if seconds else None,
    "households": summary.households,
    "records": summary.records,
    "output_mib": size / 2**20,
    "peak_rss_mib": peak_mib(),
    "rss_before_generating_mib": before,
    "peak_rss_after_first_progress_mib": samples[0] if samples else None,
}))
"""


def child_env() -> dict[str, str]:
    """The venv's own install if it has sharewell, else the source tree on PYTHONPATH."""
    env = dict(os.environ)
    probe = subprocess.run(
        [sys.executable, "-c", "import sharewell.demo.borough"],
        capture_output=True,
        check=False,
        env=env,
    )
    if probe.returncode != 0:
        src = str(ROOT / "src")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


def run(people: int, seed: int, env: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(people), str(seed)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            cwd=cwd,
        )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated people counts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    env = child_env()
    runs = []
    columns = ("people", "seconds", "people/s", "peak RSS MiB", "early RSS MiB", "output MiB")
    print("".join(f"{c:>15}" for c in columns))
    for people in sizes:
        result = run(people, args.seed, env)
        runs.append(result)
        early = result["peak_rss_after_first_progress_mib"]
        cells = (
            f"{people:,}",
            f"{result['seconds']:.1f}",
            f"{result['people_per_second']:,.0f}",
            f"{result['peak_rss_mib']:.1f}",
            "-" if early is None else f"{early:.1f}",
            f"{result['output_mib']:.1f}",
        )
        print("".join(f"{c:>15}" for c in cells))

    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "seed",
        "what": "generate_borough: people per second and peak RSS per run (fresh process each)",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "runs": runs,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
