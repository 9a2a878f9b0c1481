#!/usr/bin/env bash
# Two builds of cairn side by side: runs `synth --all --quiet --out TMP` and `parity --format json`
# with each binary in turn (alternating which goes first), RUNS times each (default 60), and reports
# each binary's median, min and max wall time in ms. The machine's speed drifts between hours, so
# compare binaries this way, in one sitting, rather than against figures measured another time.
#
#   scripts/bench-compare.sh OLD_BINARY NEW_BINARY          (RUNS=120 scripts/bench-compare.sh …)
#
# Build the old one from a worktree, e.g.
#   git worktree add /tmp/cairn-old <commit> && (cd /tmp/cairn-old && cargo build --release)
# (a binary finds its environment files where it was built, so keep that worktree until done).
set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: scripts/bench-compare.sh OLD_BINARY NEW_BINARY" >&2; exit 2; }
for bin in "$1" "$2"; do
    [[ -x "$bin" ]] || { echo "bench-compare: $bin is not an executable file" >&2; exit 2; }
done
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

python3 - "$1" "$2" "${RUNS:-60}" <<'PY'
import statistics, subprocess, sys, tempfile, time

old, new, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
cases = [
    ("synth --all", lambda out: ["synth", "--all", "--quiet", "--out", out]),
    ("parity", lambda out: ["parity", "--format", "json"]),
]
print(f"whole process, {runs} runs of each binary, alternating")
for label, args in cases:
    times = {old: [], new: []}
    for i in range(runs):
        for binary in (old, new) if i % 2 == 0 else (new, old):
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                result = subprocess.run([binary] + args(out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                elapsed = (time.perf_counter() - start) * 1000
            if result.returncode != 0:
                sys.exit(f"bench-compare: {binary} {label} failed (exit {result.returncode}):\n{result.stderr.decode()}")
            times[binary].append(elapsed)
    for binary in (old, new):
        t = sorted(times[binary])
        print(f"  {label:<12} {binary:<40} median {statistics.median(t):6.1f} ms  (min {t[0]:.1f}, max {t[-1]:.1f})")
PY
