"""Generator throughput: lines per second and peak memory for a given size (prints numbers only).

python bench/bench_generate.py --households 300000 --years 10
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.gazetteer_store import builtin_gazetteer  # noqa: E402
from popreg.commands.generate import default_start  # noqa: E402
from producers.generator import GeneratorConfig, generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--households", type=int, default=50_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="keep the output here (default: a temp file, deleted)")
    args = ap.parse_args()
    gazetteer = builtin_gazetteer()
    config = GeneratorConfig(
        start=default_start(args.years, date.today()), seed=args.seed, households=args.households, years=args.years
    )
    out = args.out or Path(tempfile.mkstemp(suffix=".jsonl")[1])
    months_done: list[tuple[int, float]] = []
    began = time.perf_counter()
    cpu0 = time.process_time()

    def on_month(done: int, total: int, lines: int) -> None:
        if done % 12 == 0:
            months_done.append((lines, time.perf_counter() - began))
            print(
                f"  year {done // 12}: {lines:,} lines, {time.perf_counter() - began:.1f}s, "
                f"peak RSS {_rss_mb():.0f} MB",
                file=sys.stderr,
            )

    with out.open("wb", buffering=1 << 20) as fh:
        doc = generate(config, fh, gazetteer, progress=on_month)
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu0  # the machine is shared: CPU time shows the generator's own cost
    size = out.stat().st_size
    if args.out is None:
        os.unlink(out)
    print(
        json.dumps(
            {
                "households": args.households,
                "years": args.years,
                "lines": doc["lines"],
                "seconds": round(seconds, 1),
                "lines_per_second": round(doc["lines"] / seconds),
                "cpu_seconds": round(cpu, 1),
                "lines_per_cpu_second": round(doc["lines"] / cpu),
                "peak_rss_mb": round(_rss_mb()),
                "output_mb": round(size / 2**20),
                "buffer_peak_lines": doc["buffer_peak_lines"],
                "population": {
                    "start": doc["realised"]["start"]["population"],
                    "end": doc["realised"]["end"]["population"],
                },
            }
        )
    )


def _rss_mb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
