#!/usr/bin/env python3
"""Where a multi-threaded weld link runs on one thread only, from a perf profile.

Usage:
  perf record -F 25000 -e cpu-clock --call-graph=fp -o PERF.data -- \\
      bash -c 'for i in 1 2 3 4 5 6 7 8; do WELD @link.rsp -o /tmp/out --threads=2; done'
  scripts/bench/serial-profile.py PERF.data [--detail PHASE]

Time is cut in 80 µs bins; a bin where exactly one of a link's threads has samples that are
not the worker pool's idle spinning is "serial". Samples are attributed to the outermost weld
function on their stack (the pass: resolveSymbols, createOutputSections, ...; "?" when the
stack has none, e.g. process start and exit, or Dispatch threads whose frames are cut).
Prints, per pass, the serial and the all-thread busy milliseconds per link. --detail PHASE
lists the innermost weld functions (and the top frame) of that pass's serial samples.

Under perf with call graphs a link runs 2-3 times slower on the benchmark VM, and by a varying
factor: compare shares and passes within one profile, and measure any change with wall time
(scripts/bench/phase-ab.sh). The time report's CPU column lags for short steps; this found
session 6's serial stretches.
"""
import argparse
import collections
import re
import subprocess
import sys

BIN = 80e-6


def read_samples(path):
    p = subprocess.Popen(['perf', 'script', '-i', path, '-F', 'comm,pid,tid,time,ip,sym'],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    samples, cur = [], None
    for line in p.stdout:
        if not line.strip():
            if cur:
                samples.append(cur)
            cur = None
            continue
        if not line[0].isspace():
            parts = line.split()
            pid, tid = parts[1].split('/') if '/' in parts[1] else (parts[1], parts[1])
            cur = (parts[0], int(pid), int(tid), float(parts[2].rstrip(':')), [])
        elif cur:
            f = line.strip().split(None, 1)
            cur[4].append(re.sub(r'\+0x[0-9a-f]+$', '', f[1]) if len(f) > 1 else '?')
    if cur:
        samples.append(cur)
    return samples


def is_idle(frames):
    return any('waitForLoop' in x for x in frames[:2])


def pass_of(frames):
    for x in reversed(frames):
        m = re.search(r'\$s7WeldELF\d+([A-Za-z_]+?)(yy|_)', x)
        if m and 'ELFDriver' not in x and 'Options' not in x:
            return m.group(1)
        m = re.search(r'\$s8WeldCore\d+([A-Za-z_]+?)C', x)
        if m and not any(k in x for k in ('WorkerPool', 'Parallel', 'PhaseTimer')):
            return 'WeldCore.' + m.group(1)
    return '?'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('--frequency', type=float, default=25000, help='if the period cannot be measured')
    ap.add_argument('--detail')
    a = ap.parse_args()
    samples = [s for s in read_samples(a.data) if s[0].startswith('weld') or 'qos' in s[0]]
    if not samples:
        sys.exit('no weld samples in ' + a.data)
    active = collections.defaultdict(set)
    for comm, pid, tid, t, fr in samples:
        if not is_idle(fr):
            active[(pid, int(t / BIN))].add(tid)
    # weld's exit helper is a process of its own (CLONE_VM): count the pids that ran the driver.
    links = len({s[1] for s in samples if any('ELFDriver' in x or 'weld_main' in x for x in s[4])}) or 1
    # The sampling period actually obtained (perf lowers the rate when interrupts take long):
    # the usual gap between a running thread's consecutive samples.
    gaps, last = [], {}
    for comm, pid, tid, t, fr in sorted(samples, key=lambda s: (s[2], s[3])):
        if tid in last and 0 < t - last[tid] < 1e-3:
            gaps.append(t - last[tid])
        last[tid] = t
    period = sorted(gaps)[len(gaps) // 2] if gaps else 1 / a.frequency
    per_ms = links / (period * 1000)
    serial, busy, detail = collections.Counter(), collections.Counter(), collections.Counter()
    for comm, pid, tid, t, fr in samples:
        if is_idle(fr):
            continue
        p = pass_of(fr)
        busy[p] += 1
        if len(active[(pid, int(t / BIN))]) == 1:
            serial[p] += 1
            if a.detail == p:
                inner = [x for x in fr if ('WeldELF' in x or 'WeldCore' in x) and 'WorkerPool' not in x and 'Parallel' not in x]
                detail[((inner[0] if inner else '?')[:110], fr[0][:40])] += 1
    print('%d links, one sample per %.0f µs; per link: serial ms, busy ms (all threads), pass' % (links, period * 1e6))
    for p in sorted(busy, key=lambda k: -serial[k])[:25]:
        print('%8.2f %8.2f  %s' % (serial[p] / per_ms, busy[p] / per_ms, p))
    print('%8.2f %8.2f  total' % (sum(serial.values()) / per_ms, sum(busy.values()) / per_ms))
    spans = collections.defaultdict(list)
    for comm, pid, tid, t, fr in samples:
        if pid == tid:
            spans[pid].append(t)
    main = [max(v) - min(v) for v in spans.values() if len(v) > 100]
    if main:
        wall = sum(main) / len(main) * 1000
        print('main thread from first to last sample: %.1f ms per link; serial %.0f%% of it' %
              (wall, 100 * sum(serial.values()) / per_ms / wall))
    if a.detail:
        print('\nserial samples of %s (innermost weld function [top frame]):' % a.detail)
        for (inner, top), n in detail.most_common(25):
            print('%8.2f  %s [%s]' % (n / per_ms, inner, top))


if __name__ == '__main__':
    main()
