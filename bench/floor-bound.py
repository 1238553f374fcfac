#!/usr/bin/env python3
"""floor-bound.py DIR START_S - the makespan lower bound max(critical path,
total work / 8) of the DAG in DIR/build.ninja (bench/gen-promote.py) when
every command also costs START_S seconds to start, the time this machine
takes to start a program at all (measured by bench-promote.sh with xargs
running `sleep 0` serially): the bound no runner can beat here. Prints
"critical_path_s total_work_s". Standard library only."""
import re
import sys


def main():
    d, start = sys.argv[1], float(sys.argv[2])
    deps, dur = {}, {}
    node = None
    for line in open(f"{d}/build.ninja"):
        m = re.match(r"build (\S+): run(?: \| (.*))?$", line.rstrip("\n"))
        if m:
            node = m.group(1)
            deps[node] = m.group(2).split() if m.group(2) else []
            continue
        m = re.match(r"\s+cmd = (.*)$", line.rstrip("\n"))
        if m and node:
            s = re.match(r"sleep ([0-9.]+)$", m.group(1))
            dur[node] = (float(s.group(1)) if s else 0.0) + start
    finish = {}
    for n in deps:  # gen-promote.py writes dependencies first
        finish[n] = max((finish[x] for x in deps[n]), default=0.0) + dur.get(n, start)
    print(f"{max(finish.values()):.3f} {sum(dur.values()):.3f}")


if __name__ == "__main__":
    main()
