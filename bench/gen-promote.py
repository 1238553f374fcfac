#!/usr/bin/env python3
"""gen-promote.py - writes an executable promotion DAG and its ninja peer.

    gen-promote.py --projects N [--sleep-min MS --sleep-max MS] [--seed S] OUTDIR

OUTDIR/tollgate.yaml: environments dev and sit (no soak), one wave, N
projects; project i depends on up to 3 projects among the 40 before it
(acyclic). Each project's deploy is `true` (no-op), or with --sleep-max a
`sleep 0.XYZ` of a duration drawn in [sleep-min, sleep-max] ms; no verify.
OUTDIR/versions: "PROJECT VERSION" lines for `record --env dev --versions`.
OUTDIR/build.ninja: one edge per project running the same command, whose
inputs are the edges of its dependencies (phony outputs, so ninja runs every
command once per build).
OUTDIR/stats: "critical_path_s total_work_s" of the durations (0 for no-op).
Deterministic for a given seed. Standard library only.
"""
import argparse
import os
import random


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, required=True)
    ap.add_argument("--sleep-min", type=int, default=0)
    ap.add_argument("--sleep-max", type=int, default=0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("outdir")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(a.outdir, exist_ok=True)
    n = a.projects
    deps, cmds, dur = [], [], []
    for i in range(n):
        lo = max(0, i - 40)
        k = rnd.randint(0, 3) if i else 0
        deps.append(sorted(set(rnd.randrange(lo, i) for _ in range(k))) if i else [])
        if a.sleep_max > 0:
            ms = rnd.randint(a.sleep_min, a.sleep_max)
            dur.append(ms / 1000.0)
            cmds.append("sleep %d.%03d" % (ms // 1000, ms % 1000))
        else:
            dur.append(0.0)
            cmds.append("true")
    with open(os.path.join(a.outdir, "tollgate.yaml"), "w") as f:
        f.write("version: 1\n")
        f.write("plan: {id: BENCH-PROMOTE, title: Promote benchmark}\n")
        f.write("environments:\n  - {name: dev}\n  - {name: sit}\n")
        # a promotion needs a person: bench-promote.sh acts as her
        f.write("people:\n  - {id: bench, roles: [release]}\n")
        f.write("waves:\n  - {id: w1}\n")
        f.write("projects:\n")
        for i in range(n):
            d = ", ".join("p%d" % j for j in deps[i])
            f.write("  - {id: p%d, wave: w1, deploy: \"%s\"%s}\n"
                    % (i, cmds[i], ", depends_on: [%s]" % d if d else ""))
    with open(os.path.join(a.outdir, "versions"), "w") as f:
        for i in range(n):
            f.write("p%d v1\n" % i)
    with open(os.path.join(a.outdir, "build.ninja"), "w") as f:
        f.write("rule run\n  command = $cmd\n\n")
        for i in range(n):
            inputs = " ".join("p%d" % j for j in deps[i])
            f.write("build p%d: run%s\n  cmd = %s\n" % (i, " | " + inputs if inputs else "", cmds[i]))
        f.write("\ndefault %s\n" % " ".join("p%d" % i for i in range(n)))
    finish = [0.0] * n
    for i in range(n):
        finish[i] = dur[i] + max((finish[j] for j in deps[i]), default=0.0)
    with open(os.path.join(a.outdir, "stats"), "w") as f:
        f.write("%.3f %.3f\n" % (max(finish), sum(dur)))


if __name__ == "__main__":
    main()
