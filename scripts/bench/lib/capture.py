#!/usr/bin/env python3
"""Turn an lld `--reproduce` tarball into a linker-neutral workload directory.

usage: capture.py TARBALL BUILD_DIR WORKLOAD_DIR

TARBALL is what `-Wl,--reproduce=TARBALL` wrote: one top directory holding
response.txt (lld's arguments, one per line, input paths made relative),
version.txt, and a copy of every input file under its original absolute path
made relative (usr/lib/..., opt/swift/...).  BUILD_DIR is the absolute
directory the workload's own objects were compiled in; they move to obj/ so
the workload does not depend on where it was built.

WORKLOAD_DIR is replaced by a directory with
  link.rsp      the link's arguments in GNU `@file` syntax, one per line
                (an option and its value share a line: `-L usr/lib`),
                paths relative to WORKLOAD_DIR, without `-o` and without the
                lld-only `--chroot .`.  Any GNU-compatible linker runs it as
                    cd WORKLOAD_DIR && LINKER @link.rsp -o OUTPUT
  inputs.txt    every input file with its size: PATH<TAB>BYTES
  lld-response.txt, lld-version.txt   lld's originals, for reference
and the input files themselves.
"""
import os
import shutil
import sys
import tarfile

# lld options whose value it writes on the same line ("-L dir", "-m elf_x86_64")
# are split into two arguments; GNU ld, gold and mold all accept that spelling.
# lld drops these from the replayed link:
DROP_WITH_VALUE = {'-o', '--chroot'}
DROP_PREFIX = ('-plugin', '--plugin', '-plugin-opt', '--plugin-opt')
RPATH_OPTS = {'-rpath', '--rpath', '-R'}


def unquote(s):
    # lld quotes a value that contains a space ("Foo Bar.swift.o") and does
    # not escape anything inside the quotes.
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        return s[1:-1]
    return s


def rsp_quote(s):
    # GNU @file syntax (libiberty's buildargv, LLVM's GNU tokenizer)
    if s and not any(c in s for c in ' \t\n"\'\\'):
        return s
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def parse_response(text):
    """lld's response.txt -> a list of lines, each a list of 1 or 2 arguments."""
    lines = []
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith('-') and ' ' in line:
            opt, val = line.split(' ', 1)
            lines.append([opt, unquote(val)])
        else:
            lines.append([unquote(line)])
    out, skip = [], False
    for ln in lines:
        if skip:             # the value of a dropped option written on its own line
            skip = False
            continue
        if ln[0] in DROP_WITH_VALUE:
            skip = len(ln) == 1
            continue
        if ln[0].startswith(DROP_PREFIX):
            continue
        out.append(ln)
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    tarball, build_dir, wdir = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    tmp = wdir + '.new'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    with tarfile.open(tarball) as tf:
        tops = {m.name.split('/', 1)[0] for m in tf.getmembers()}
        if len(tops) != 1:
            sys.exit('capture.py: %s: expected one top directory, found %s' % (tarball, sorted(tops)))
        if hasattr(tarfile, 'tar_filter'):   # Python >= 3.11.4: no warning, no escaping paths
            tf.extractall(tmp, filter='tar')
        else:
            tf.extractall(tmp)
    top = os.path.join(tmp, tops.pop())

    args = parse_response(open(os.path.join(top, 'response.txt')).read())

    # the workload's own objects: <top>/<build_dir minus leading '/'>/... -> obj/...
    rel_build = build_dir.strip('/')
    src = os.path.join(top, rel_build)
    if os.path.isdir(src):
        shutil.move(src, os.path.join(tmp, 'obj'))
        # drop the now empty parents of the build directory
        d = os.path.dirname(src)
        while d != top and not os.listdir(d):
            os.rmdir(d)
            d = os.path.dirname(d)

        def relocate(a):
            if a == rel_build or a.startswith(rel_build + '/'):
                return 'obj' + a[len(rel_build):]
            return a
        args = [[relocate(a) for a in ln] for ln in args]

    # lld treats an -rpath directory that exists (swiftc passes
    # /opt/swift/usr/lib/swift/linux) like an input path and makes it
    # relative, without packing it.  -rpath matters only at run time: give it
    # back its absolute value.
    for ln in args:
        if len(ln) == 2 and ln[0] in RPATH_OPTS and not ln[1].startswith(('/', '$')) \
                and os.path.isdir('/' + ln[1]):
            ln[1] = '/' + ln[1]

    # everything else of the tarball moves up beside obj/
    for name in os.listdir(top):
        dst = {'response.txt': 'lld-response.txt', 'version.txt': 'lld-version.txt'}.get(name, name)
        shutil.move(os.path.join(top, name), os.path.join(tmp, dst))
    os.rmdir(top)

    with open(os.path.join(tmp, 'link.rsp'), 'w') as f:
        f.write(''.join(' '.join(rsp_quote(a) for a in ln) + '\n' for ln in args))

    meta = {'link.rsp', 'inputs.txt', 'lld-response.txt', 'lld-version.txt', 'info.txt', 'driver.txt'}
    rows = []
    for dp, dns, fns in os.walk(tmp):
        dns.sort()
        for fn in sorted(fns):
            p = os.path.relpath(os.path.join(dp, fn), tmp)
            if p not in meta:
                rows.append('%s\t%d\n' % (p, os.path.getsize(os.path.join(dp, fn))))
    with open(os.path.join(tmp, 'inputs.txt'), 'w') as f:
        f.writelines(sorted(rows))

    shutil.rmtree(wdir, ignore_errors=True)
    os.rename(tmp, wdir)


if __name__ == '__main__':
    main()
