#!/usr/bin/env python3
"""Time weld and its peer linkers side by side on the benchmark workloads.

Run through scripts/bench/bench.sh (see its --help and scripts/bench/README.md).

How it measures
  * Every linker ("config") replays the same captured link:
        cd WLDIR/WORKLOAD && LINKER @link.rsp -o OUTDIR/WORKLOAD/CONFIG
    The output of the previous round stays in place, as in an edit-link loop.
  * One untimed warm-up run of every config first (page cache, output file).
    A config that fails there is reported with its error and not timed.
  * Then ROUNDS rounds; each round runs every config once, in an order that
    rotates from round to round (round-robin), so a slow stretch of a shared
    machine hits all configs alike.
  * Each run goes through lib/launch.c (compiled on first use): wall time from
    fork to wait4, user/sys CPU and peak RSS from wait4's rusage, plus
    whatever the linker left running (mold's forked worker) reaped afterwards
    and added to its CPU and RSS, and the CPU the rest of the machine used
    meanwhile ("others' CPU", a noise gauge).
  * Ratios are paired: for each round, wall(config) / wall(mold) of that same
    round; the table shows the median of those ratios (likewise vs lld).
  * After the rounds, every config's output is checked with check.sh.
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys

LIB = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(LIB)
REPO = os.path.dirname(os.path.dirname(BENCH))
ALL_WORKLOADS = ['hello', 'hello-static', 'python', 'swift', 'lld']

PEERS = {
    'mold':        ['/usr/bin/mold'],                 # forks: the parent exits when the output is done
    'mold-nofork': ['/usr/bin/mold', '--no-fork'],    # all of mold's work in the timed process
    'mold-1t':     ['/usr/bin/mold', '--no-fork', '--threads=1'],
    'lld':         ['/opt/swift/usr/bin/ld.lld'],     # LLD 21 from the Swift toolchain, all cores
    'lld-1t':      ['/opt/swift/usr/bin/ld.lld', '--threads=1'],
    'gold':        ['/usr/bin/ld.gold'],              # single-threaded by default
    'gold-mt':     ['/usr/bin/ld.gold', '--threads', '--thread-count=%d' % os.cpu_count()],
    'bfd':         ['/usr/bin/ld.bfd'],               # GNU ld
}
# measuring sticks, not linkers (opt-in with -c): read every input, write an output-sized file
FLOORS = ['floor-read', 'floor-write']
DEFAULT_CONFIGS = ['weld', 'weld-1t', 'mold', 'mold-nofork', 'lld', 'gold', 'bfd']


def die(msg):
    sys.exit('bench: ' + msg)


def launcher(outdir):
    """Compile lib/launch.c into OUTDIR on first use (static: a small process image)."""
    src = os.path.join(LIB, 'launch.c')
    exe = os.path.join(outdir, '.launch')
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        cmd = ['gcc', '-O2', '-Wall', '-static', '-o', exe, src]
        if subprocess.run(cmd).returncode != 0:          # no static libc: a dynamic launcher will do
            subprocess.run(cmd[:3] + cmd[4:], check=True)
    return exe


def run(launch, cwd, argv, errfile, timeout):
    p = subprocess.run([launch, cwd, errfile, str(timeout)] + argv, stdout=subprocess.PIPE, text=True,
                       check=True)
    f = dict(kv.split('=') for kv in p.stdout.split())
    r = {'rc': int(f['rc']), 'timed_out': f['timed_out'] == '1', 'wall': float(f['wall']),
         'user': float(f['user']) + float(f['left_user']),
         'sys': float(f['sys']) + float(f['left_sys']),
         'rss_kb': max(int(f['maxrss_kb']), int(f['left_maxrss_kb'])),
         'left_wait': float(f['left_wait'])}
    r['others_cpu'] = max(0.0, float(f['busy']) - r['user'] - r['sys'])
    return r


def quantile(xs, q):
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    i = int(k)
    j = min(i + 1, len(xs) - 1)
    return xs[i] + (xs[j] - xs[i]) * (k - i)


def why(r, errfile, limit=160):
    """Why a run failed: its exit status and the first line it wrote to stderr."""
    if r['timed_out']:
        what = 'killed after the time limit'
    elif r['rc'] > 128:
        what = 'killed by signal %d' % (r['rc'] - 128)
    elif r['rc'] == 127:
        what = 'exit 127 (could not execute?)'
    else:
        what = 'exit %d' % r['rc']
    try:
        for line in open(errfile, errors='replace'):
            if line.strip():
                return '%s: %s' % (what, line.strip()[:limit])
    except OSError:
        pass
    return what + ' (no message)'


def version_of(argv):
    try:
        p = subprocess.run([argv[0], '--version'], capture_output=True, text=True, timeout=5)
        return (p.stdout or p.stderr).strip().splitlines()[0][:100]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return '?'


def machine():
    cpu = '?'
    for line in open('/proc/cpuinfo'):
        if line.startswith('model name'):
            cpu = line.split(':', 1)[1].strip()
            break
    mem = '?'
    for line in open('/proc/meminfo'):
        if line.startswith('MemTotal:'):
            mem = '%.0f GiB' % (int(line.split()[1]) / 2**20)
    distro = '?'
    try:
        for line in open('/etc/os-release'):
            if line.startswith('PRETTY_NAME='):
                distro = line.split('=', 1)[1].strip().strip('"')
    except OSError:
        pass
    return {'nproc': os.cpu_count(), 'cpu': cpu, 'mem': mem,
            'kernel': platform.release(), 'os': distro}


def git_describe():
    try:
        p = subprocess.run(['git', '-C', REPO, 'describe', '--always', '--dirty'],
                           capture_output=True, text=True)
        return p.stdout.strip() or '?'
    except OSError:
        return '?'


def configure(a):
    """Return (ordered config names, {name: argv or floor name}, notes)."""
    linkers = dict(PEERS)
    notes = []
    extra = []
    for spec in a.linker:
        name, eq, cmd = spec.partition('=')
        if not eq or not name or not cmd.strip():
            die('-l wants NAME=COMMAND, got %r' % spec)
        argv = shlex.split(cmd)
        exe = shutil.which(argv[0]) if not os.path.isabs(argv[0]) else argv[0]
        if not exe or not os.access(exe, os.X_OK):
            die('-l %s: %s is not an executable' % (name, argv[0]))
        linkers[name] = [os.path.abspath(exe)] + argv[1:]
        extra.append(name)
    wants_weld = not a.configs or 'weld' in a.configs.split(',') or 'weld-1t' in a.configs.split(',')
    if 'weld' not in linkers and wants_weld:
        default = os.path.join(REPO, '.build', 'release', 'weld')
        if os.access(default, os.X_OK):
            linkers['weld'] = [default]
        else:
            notes.append('weld: %s is not built (swift build -c release), so weld was not timed; '
                         'name one with -l weld=PATH' % os.path.relpath(default, REPO))
    if 'weld' in linkers and 'weld-1t' not in linkers:
        linkers['weld-1t'] = linkers['weld'] + ['--threads=1']
    if a.configs:
        names = [c for c in a.configs.split(',') if c]
    else:
        names = DEFAULT_CONFIGS + [e for e in extra if e not in DEFAULT_CONFIGS]
    configs = []
    for c in names:
        if c in FLOORS or c in linkers:
            if c not in configs:
                configs.append(c)
        elif c in ('weld', 'weld-1t'):
            if a.configs:
                die('%s: no weld binary (build it, or -l weld=PATH)' % c)
        else:
            die('unknown config %r (have: %s)' % (c, ', '.join(sorted(list(linkers) + FLOORS))))
    for c in configs:
        if c in linkers and not os.access(linkers[c][0], os.X_OK):
            die('%s: %s is not installed' % (c, linkers[c][0]))
    return configs, {c: linkers.get(c, c) for c in configs}, notes


def command(cfg, spec, wdir, out, wl, name):
    """argv for one run of CONFIG on a workload."""
    if cfg == 'floor-read':          # cat every input once (from the page cache)
        files = [l.split('\t')[0] for l in open(os.path.join(wdir, 'inputs.txt'))]
        return ['/bin/cat'] + files
    if cfg == 'floor-write':         # write a file the size of lld's output over an existing one
        return ['/bin/cp', os.path.join(wl, '.build', name, 'ref.out'), out]
    return spec + ['@link.rsp', '-o', out]


def bench_workload(a, launch, name, configs, specs, results):
    wdir = os.path.join(a.wl, name)
    if not os.path.isfile(os.path.join(wdir, 'link.rsp')):
        die('no workload %s in %s: run scripts/bench/make-workloads.sh -w %s %s' % (name, a.wl, a.wl, name))
    inbytes = sum(int(l.split('\t')[1]) for l in open(os.path.join(wdir, 'inputs.txt')))
    rounds = a.rounds or (30 if inbytes < 50e6 else 10)
    odir = os.path.join(a.out, name)
    os.makedirs(odir, exist_ok=True)
    outs = {c: os.path.join(odir, c) for c in configs}
    errs = {c: os.path.join(odir, c + '.stderr') for c in configs}
    argvs = {c: command(c, specs[c], wdir, outs[c], a.wl, name) for c in configs}

    res = {'workload': name, 'input_bytes': inbytes, 'rounds': rounds, 'configs': {}}
    live = []
    failed = {}
    for c in configs:                              # warm-up, untimed
        r = run(launch, wdir, argvs[c], errs[c], a.timeout)
        if r['rc'] != 0:
            failed[c] = why(r, errs[c])
            print('  %s: %s failed, not timed: %s' % (name, c, failed[c]), file=sys.stderr)
        else:
            live.append(c)
    runs = {c: [] for c in live}
    load0 = os.getloadavg()[0]
    raw = open(os.path.join(odir, 'runs.jsonl'), 'w')
    for rnd in range(rounds):
        k = rnd % len(live) if live else 0
        for c in live[k:] + live[:k]:
            r = run(launch, wdir, argvs[c], errs[c], a.timeout)
            r.update(config=c, round=rnd)
            if r['rc'] != 0:
                failed.setdefault(c + ' (timed run)', why(r, errs[c]))
            runs[c].append(r)
            raw.write(json.dumps(r) + '\n')
        print('  %s: round %d/%d' % (name, rnd + 1, rounds), end='\r', file=sys.stderr, flush=True)
    raw.close()
    print(file=sys.stderr)
    res['loadavg'] = [load0, os.getloadavg()[0]]
    allruns = [r for c in live for r in runs[c]]
    res['others'] = (sum(r['others_cpu'] for r in allruns) /
                     max(1e-9, sum(r['wall'] * os.cpu_count() for r in allruns)))

    for c in configs:
        if c not in live:
            res['configs'][c] = {'failed': failed[c]}
            continue
        rs = runs[c]
        ok = [r for r in rs if r['rc'] == 0]
        d = {'failed_runs': len(rs) - len(ok), 'failed_why': failed.get(c + ' (timed run)', '')}
        if not ok:
            d['failed'] = 'every timed run failed: ' + failed.get(c + ' (timed run)', '?')
            res['configs'][c] = d
            continue
        walls = [r['wall'] for r in ok]
        d.update(wall=statistics.median(walls), wall_q1=quantile(walls, .25), wall_q3=quantile(walls, .75),
                 wall_min=min(walls),
                 user=statistics.median(r['user'] for r in ok),
                 sys=statistics.median(r['sys'] for r in ok),
                 cpu=statistics.median(r['user'] + r['sys'] for r in ok),
                 rss_mb=statistics.median(r['rss_kb'] for r in ok) / 1024,
                 # a ratio of sums: /proc/stat counts in 10 ms ticks, too coarse for one short run
                 others=sum(r['others_cpu'] for r in ok) / sum(r['wall'] * os.cpu_count() for r in ok),
                 left_wait=statistics.median(r['left_wait'] for r in ok))
        d['paired'] = {}                 # median over rounds of wall(c) / wall(other), same round
        for other in live:
            ratios = [r['wall'] / b['wall'] for r, b in zip(rs, runs[other])
                      if r['rc'] == 0 and b['rc'] == 0]
            if other != c and ratios:
                d['paired'][other] = statistics.median(ratios)
                if other in ('mold', 'lld'):
                    d['vs_' + other] = d['paired'][other]
                    d['vs_%s_q' % other] = [quantile(ratios, .25), quantile(ratios, .75)]
        if c not in FLOORS:
            p = subprocess.run([os.path.join(BENCH, 'check.sh'), name, outs[c], a.wl],
                               capture_output=True, text=True)
            msg = (p.stdout + p.stderr).strip().splitlines()
            d['check'] = 'ok' if p.returncode == 0 else (msg[-1] if msg else 'FAIL')[:200]
        res['configs'][c] = d
    results.append(res)
    json.dump(res, open(os.path.join(odir, 'summary.json'), 'w'), indent=1)
    return res


# ---- report ------------------------------------------------------------------

def ms(s):
    return '%.1f' % (s * 1e3) if s < 10 else '%.0f' % (s * 1e3)


def report(a, results, configs, specs, notes, started):
    m = machine()
    L = []
    L.append('# weld benchmark: %s' % started.strftime('%Y-%m-%d %H:%M UTC'))
    L.append('')
    L.append('- machine: %s, `nproc` %d, %s RAM; Linux %s; %s' % (m['cpu'], m['nproc'], m['mem'],
                                                                  m['kernel'], m['os']))
    L.append('- command: `%s`' % ' '.join(shlex.quote(x) for x in a.cmdline))
    L.append('- nice: %s; workloads from `%s`; weld tree: %s' % (os.nice(0), a.wl, git_describe()))
    vers = []
    for c in configs:
        if c in FLOORS or c.endswith(('-1t', '-nofork', '-mt')) and c.rsplit('-', 1)[0] in configs:
            continue
        vers.append('%s: `%s` (%s)' % (c, ' '.join(specs[c]), version_of(specs[c])))
    L.append('- linkers: ' + '; '.join(vers))
    for n in notes:
        L.append('- note: ' + n)
    L.append('')
    L.append('Paired ratios compare runs of the same round (median over rounds): `0.80x mold` means '
             '20% less wall time than mold. CPU is user+sys, including what mold\'s forked worker '
             'used after the parent exited. "others\' CPU" is the share of the machine (all cores) '
             'that other processes used during the timed runs: above ~10% the numbers are noisy.')
    L.append('')

    has = lambda c: any(c in r['configs'] and 'wall' in r['configs'][c] for r in results)
    cols = [c for c in configs if has(c) or any(c in r['configs'] for r in results)]
    L.append('## Wall time: median ms (paired ratio to mold, to lld)')
    L.append('')
    L.append('| workload | ' + ' | '.join(cols) + ' | others\' CPU |')
    L.append('|---|' + '---|' * (len(cols) + 1))
    for r in results:
        cells = []
        best = min((d['wall'] for c, d in r['configs'].items() if 'wall' in d and c not in FLOORS),
                   default=None)
        for c in cols:
            d = r['configs'].get(c)
            if d is None:
                cells.append('')
            elif 'wall' not in d:
                cells.append('failed')
            else:
                s = ms(d['wall'])
                if d['wall'] == best:
                    s = '**%s**' % s
                rat = [('%.2fx mold' % d['vs_mold']) if 'vs_mold' in d else '',
                       ('%.2fx lld' % d['vs_lld']) if 'vs_lld' in d else '']
                rat = ', '.join(x for x in rat if x)
                cells.append(s + (' (%s)' % rat if rat else ''))
        L.append('| %s | %s | %.0f%% |' % (r['workload'], ' | '.join(cells), 100 * r['others']))
    L.append('')
    L.append('## CPU (user+sys ms) / peak RSS (MB), medians')
    L.append('')
    lcols = [c for c in cols if c not in FLOORS]
    L.append('| workload | ' + ' | '.join(lcols) + ' |')
    L.append('|---|' + '---|' * len(lcols))
    for r in results:
        cells = []
        for c in lcols:
            d = r['configs'].get(c)
            cells.append('' if d is None else 'failed' if 'wall' not in d else
                         '%s / %.0f' % (ms(d['cpu']), d['rss_mb']))
        L.append('| %s | %s |' % (r['workload'], ' | '.join(cells)))
    L.append('')
    L.append('## Per workload')
    for r in results:
        L.append('')
        L.append('### %s: %d rounds, inputs %.1f MB, others\' CPU %.0f%%, load average %.2f -> %.2f' % (
            r['workload'], r['rounds'], r['input_bytes'] / 1e6, 100 * r['others'],
            r['loadavg'][0], r['loadavg'][1]))
        L.append('')
        L.append('| config | wall ms median [q1, q3] | vs mold [q1, q3] | vs lld | user ms | sys ms '
                 '| peak RSS MB | others\' CPU | check |')
        L.append('|---|---|---|---|---|---|---|---|---|')
        for c, d in r['configs'].items():
            if 'wall' not in d:
                L.append('| %s | failed: %s |  |  |  |  |  |  |  |' % (c, d['failed'].replace('|', '\\|')))
                continue
            vm = ('%.2fx [%.2f, %.2f]' % (d['vs_mold'], *d['vs_mold_q'])) if 'vs_mold' in d else ''
            vl = ('%.2fx' % d['vs_lld']) if 'vs_lld' in d else ''
            chk = d.get('check', '-').replace('|', '\\|')
            if d.get('failed_runs'):
                chk += ' (%d timed runs failed, first: %s)' % (d['failed_runs'], d['failed_why'])
            L.append('| %s | %s [%s, %s] | %s | %s | %s | %s | %.0f | %.0f%% | %s |' % (
                c, ms(d['wall']), ms(d['wall_q1']), ms(d['wall_q3']), vm, vl, ms(d['user']),
                ms(d['sys']), d['rss_mb'], 100 * d['others'], chk))
    L += targets(results)
    return '\n'.join(L) + '\n'


# weld's targets from issue 3 (paired ratios from one run): (workload, what, value(), goal, met())
def targets(results):
    by = {r['workload']: r['configs'] for r in results}
    rows = []

    def paired(w, c, other):
        return by.get(w, {}).get(c, {}).get('paired', {}).get(other)

    for w in ('hello', 'hello-static'):
        rows.append((w, 'weld wall / gold wall', paired(w, 'weld', 'gold'), '<= 0.80', lambda v: v <= 0.80))
    for w in ('python', 'swift', 'lld'):
        rows.append((w, 'weld wall / mold wall', paired(w, 'weld', 'mold'), '<= 0.75', lambda v: v <= 0.75))
    for w in ('swift', 'lld'):
        cw, cm = by.get(w, {}).get('weld', {}), by.get(w, {}).get('mold', {})
        v = cw['rss_mb'] / cm['rss_mb'] if 'rss_mb' in cw and 'rss_mb' in cm else None
        rows.append((w, 'weld peak RSS / mold peak RSS', v, '<= 1.00', lambda v: v <= 1.0))
    for w in ('swift', 'lld'):
        rows.append((w, 'weld-1t wall / weld wall (2-thread speed-up)', paired(w, 'weld-1t', 'weld'),
                     '>= 1.70', lambda v: v >= 1.70))
    rows = [r for r in rows if r[2] is not None]
    if not rows:
        return []
    L = ['', '## Targets (issue 3)', '', '| workload | measure | this run | target | met |',
         '|---|---|---|---|---|']
    for w, what, v, goal, ok in rows:
        L.append('| %s | %s | %.2f | %s | %s |' % (w, what, v, goal, 'yes' if ok(v) else 'no'))
    return L


def main():
    ap = argparse.ArgumentParser(prog='bench.sh', description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog='configs: weld weld-1t %s %s' % (' '.join(PEERS), ' '.join(FLOORS)))
    ap.add_argument('-l', dest='linker', action='append', default=[], metavar='NAME=COMMAND',
                    help='time COMMAND as NAME; -l weld=PATH also adds weld-1t (PATH --threads=1). '
                         'Default weld: the repository\'s .build/release/weld')
    ap.add_argument('-n', dest='rounds', type=int, default=0,
                    help='rounds (default: 30, or 10 for workloads over 50 MB of input)')
    ap.add_argument('-c', dest='configs', default='',
                    help='comma list of configs to time (default: %s, and every -l NAME)'
                         % ','.join(DEFAULT_CONFIGS))
    ap.add_argument('-w', dest='wl', default=os.environ.get('WELD_BENCH_WL', '/var/tmp/weld-bench/wl'),
                    help='workload directory (default %(default)s)')
    ap.add_argument('-o', dest='out', default=os.environ.get('WELD_BENCH_OUT', '/var/tmp/weld-bench/out'),
                    help='linker outputs and raw runs (default %(default)s)')
    ap.add_argument('-t', dest='timeout', type=int, default=300,
                    help='kill a run after this many seconds (default %(default)s)')
    ap.add_argument('-r', dest='results', default='',
                    help='write the Markdown report here (default OUT/results-DATE-TIME.md)')
    ap.add_argument('workloads', nargs='*', metavar='WORKLOAD',
                    help='%s (default: all)' % ' '.join(ALL_WORKLOADS))
    a = ap.parse_args()
    a.cmdline = ['scripts/bench/bench.sh'] + sys.argv[1:]
    a.wl, a.out = os.path.abspath(a.wl), os.path.abspath(a.out)
    for w in a.workloads:
        if w not in ALL_WORKLOADS:
            die('unknown workload %r (have: %s)' % (w, ' '.join(ALL_WORKLOADS)))
    workloads = a.workloads or ALL_WORKLOADS
    configs, specs, notes = configure(a)
    for n in notes:
        print('bench: ' + n, file=sys.stderr)
    if not configs:
        die('nothing to time')
    os.makedirs(a.out, exist_ok=True)
    launch = launcher(a.out)
    started = datetime.datetime.now(datetime.timezone.utc)
    results = []
    for name in workloads:
        bench_workload(a, launch, name, configs, specs, results)
    text = report(a, results, configs, specs, notes, started)
    path = a.results or os.path.join(a.out, 'results-%s.md' % started.strftime('%Y%m%d-%H%M%S'))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    sys.stdout.write('\n' + text)
    print('\nbench: report written to %s' % path, file=sys.stderr)


if __name__ == '__main__':
    main()
