#!/usr/bin/env python3
"""measured-bound.py DIR - the makespan lower bound with each command's
duration as measured on this machine (process start-up included), not as
written in its `sleep`: reads DIR/build.ninja for the DAG and DIR/.ninja_log
(left by the last `ninja` run) for each edge's duration. Prints
"critical_path_s total_work_s". Standard library only."""
import re
import sys


def main():
    d = sys.argv[1]
    deps = {}
    for line in open(f"{d}/build.ninja"):
        m = re.match(r"build (\S+): run(?: \| (.*))?$", line.rstrip("\n"))
        if m:
            deps[m.group(1)] = m.group(2).split() if m.group(2) else []
    dur = {}
    for line in open(f"{d}/.ninja_log"):
        if line.startswith("#"):
            continue
        start, end, _, out, _ = line.rstrip("\n").split("\t")
        dur[out] = (int(end) - int(start)) / 1000.0
    finish = {}
    for node in deps:  # gen-promote.py writes dependencies first
        finish[node] = max((finish[x] for x in deps[node]), default=0.0) + dur.get(node, 0.0)
    print(f"{max(finish.values()):.3f} {sum(dur.values()):.3f}")


if __name__ == "__main__":
    main()
