"""The speedrun's wall time and peak memory per stage, printed as a table.

    python bench/speedrun.py                          # runs recipes/speedrun.sh into runs/bench-speedrun (fresh)
    python bench/speedrun.py --scale smoke --out /tmp/smoke
    python bench/speedrun.py --scale long --out runs/long   # about an hour
    python bench/speedrun.py --out runs/tiny-world    # a finished run: stages already done are skipped (0 s)
    python bench/speedrun.py --base smollm2           # the real open model's speedrun (runs/bench-smollm2)

The speedrun prints ``== <stage>: running`` / ``== <stage>: done in Ns``; this script follows those lines and
samples the resident memory of the speedrun's whole process tree (every python process a stage starts, summed)
twice a second, so a stage's peak is what the machine had to hold for it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
STAGE_LINE = re.compile(r"^== (\S+): (running|done in (\d+)s|done already, skipped|FAILED)")


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:  # a process that just ended
            continue
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="cpu", choices=["cpu", "smoke", "long"])
    parser.add_argument("--base", default="tiny", choices=["tiny", "smollm2"], help="BASE= of the speedrun")
    parser.add_argument("--out", default=None,
                        help="the run directory (OUT= of the speedrun; default runs/bench-speedrun, runs/bench-smollm2)")
    parser.add_argument("--fresh", action="store_true", help="delete --out first (default for the bench dir)")
    args = parser.parse_args()

    default_out = "runs/bench-speedrun" if args.base == "tiny" else f"runs/bench-{args.base}"
    out = Path(args.out or default_out)
    if args.fresh or args.out is None:
        shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "SCALE": args.scale, "BASE": args.base, "OUT": str(out), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(["bash", str(ROOT / "recipes" / "speedrun.sh")], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    root = psutil.Process(proc.pid)
    current: list[str | None] = [None]
    peaks: dict[str, int] = {}
    done = threading.Event()

    def sample():
        while not done.is_set():
            stage = current[0]
            if stage is not None:
                peaks[stage] = max(peaks.get(stage, 0), tree_rss(root))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rows: list[tuple[str, str, int | None]] = []
    start = time.time()
    for line in proc.stdout:
        match = STAGE_LINE.match(line.strip())
        if not match:
            continue
        name, status, seconds = match.group(1), match.group(2), match.group(3)
        print(line.rstrip(), file=sys.stderr, flush=True)
        if status == "running":
            current[0] = name
        else:
            current[0] = None
            rows.append((name, "skipped" if "skipped" in status else status.split()[0].lower(),
                         int(seconds) if seconds else None))
    code = proc.wait()
    done.set()
    total = time.time() - start

    print(f"\nspeedrun BASE={args.base} SCALE={args.scale} OUT={out}: exit {code}, {total / 60:.1f} min wall in all\n")
    print(f"| {'stage':<12} | {'status':<7} | {'wall (s)':>8} | {'peak RSS (GB)':>13} |")
    print(f"|{'-' * 14}|{'-' * 9}|{'-' * 10}|{'-' * 15}|")
    for name, status, seconds in rows:
        rss = peaks.get(name)
        print(f"| {name:<12} | {status:<7} | {seconds if seconds is not None else '—':>8} | "
              f"{rss / 2**30 if rss else float('nan'):>13.2f} |")
    print(f"\ncores: {os.cpu_count()}; peak RSS is the sum over the speedrun's process tree, sampled every 0.5 s")
    return code


if __name__ == "__main__":
    sys.exit(main())
