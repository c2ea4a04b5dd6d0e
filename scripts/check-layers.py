#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check kvmage's layering against scripts/layers.txt.

    check-layers.py --root SRC [--lib build/libkvmage.a] [--selftest]

Prints TAP.  Three checks:
  includes  no #include "..." from a layer to one above it, unless the line
            says why in a /* layer: ... */ comment;
  symbols   no object of libkvmage references a symbol defined by an object
            of a higher layer (an include can be dodged, a link cannot);
  cycles    no cycle among the objects of libkvmage (strongly connected
            components of the symbol graph, the generated QMP command table
            calling command bodies excepted);
  getenv    only util/test-switch.c reads the environment: test-only
            switches stay in its one documented table.
--selftest runs the checks on a small tree with a deliberate upward include,
a deliberate upward call and a deliberate cycle, and fails unless each is
caught with the offending line.  Standard library only.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
SOURCE_EXT = ('.c', '.h')
GEN_PREFIX = 'meson-generated_.._'
ENV_READER = 'util/test-switch.c'
ENV_SYMBOLS = ('getenv', 'secure_getenv', 'g_getenv', 'g_environ_getenv',
               'g_get_environ', 'environ', '__environ')


def read_layers(path):
    """[(name, [paths])] in order, lowest first."""
    layers = []
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].split()
            if line:
                layers.append((line[0], line[1:]))
    return layers


class Layers:
    def __init__(self, layers):
        self.names = [n for n, _ in layers]
        self.rank = {n: i for i, n in enumerate(self.names)}
        self.dirs = []  # (prefix, layer), longest first
        self.gen = {}   # generated header or source name -> layer
        for name, paths in layers:
            for p in paths:
                if p.endswith('/'):
                    self.dirs.append((p, name))
                else:
                    self.gen[p] = name
        self.dirs.sort(key=lambda d: -len(d[0]))

    def of(self, rel):
        for prefix, name in self.dirs:
            if rel.startswith(prefix):
                return name
        base = os.path.basename(rel)
        if base.endswith('.c'):  # generated code is in its header's layer
            base = base[:-2] + '.h'
        return self.gen.get(base)


def product_files(root, layers):
    out = []
    for prefix, _ in layers.dirs:
        top = os.path.join(root, prefix)
        for d, _, files in os.walk(top):
            for f in files:
                if f.endswith(SOURCE_EXT):
                    out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(set(out))


def resolve(root, rel, name, layers):
    """The layer of header @name included from @rel, and its path."""
    for base in (os.path.dirname(rel), 'include', 'linux-headers', '.'):
        cand = os.path.normpath(os.path.join(base, name))
        if os.path.exists(os.path.join(root, cand)):
            return layers.of(cand), cand
    if os.path.basename(name) in layers.gen:
        return layers.gen[os.path.basename(name)], name
    return None, name


def check_includes(root, layers):
    errors, upward_ok = [], []
    for rel in product_files(root, layers):
        mine = layers.of(rel)
        with open(os.path.join(root, rel), errors='replace') as f:
            for no, line in enumerate(f, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                theirs, path = resolve(root, rel, m.group(1), layers)
                where = '%s:%d: %s' % (rel, no, line.strip())
                if theirs is None:
                    errors.append('%s: "%s" is in no layer of '
                                  'scripts/layers.txt' % (where, path))
                elif layers.rank[theirs] > layers.rank[mine]:
                    if '/* layer:' in line:
                        upward_ok.append(where)
                    else:
                        errors.append('%s: layer %s includes layer %s, '
                                      'which is above it' %
                                      (where, mine, theirs))
    return errors, upward_ok


def object_source(obj, sources):
    """libkvmage.a.p/accel_kvm_kvm-cpu.c.o -> accel/kvm/kvm-cpu.c"""
    base = os.path.basename(obj)
    if base.endswith('.o'):
        base = base[:-2]
    if base.startswith(GEN_PREFIX):
        return os.path.basename(base[len(GEN_PREFIX):].replace('_', '/'))
    if base.startswith('meson-generated_'):
        return base[len('meson-generated_'):]
    return sources.get(base, base)


def read_symbols(lib, root, layers):
    """{symbol: defining source}, {source: set(undefined symbols)}"""
    sources = {p.replace('/', '_'): p
               for p in product_files(root, layers) if p.endswith('.c')}
    out = subprocess.run(['nm', '-A', lib], capture_output=True, text=True,
                         check=True).stdout
    defs, refs = {}, {}
    for line in out.splitlines():
        m = re.match(r'[^:]+:([^:]+):\s*\S*\s+(\w)\s+(\S+)$', line)
        if not m:
            continue
        src = object_source(m.group(1), sources)
        refs.setdefault(src, set())
        if m.group(2) in 'TDBRV':
            defs[m.group(3)] = src
        elif m.group(2) == 'U':
            refs[src].add(m.group(3))
    return defs, refs


def is_dispatch(src, sym, defs, layers):
    """The generated command table calling a command body."""
    return src == 'qapi-commands.c' and sym.startswith('qmp_')


def symbol_graph(defs, refs, layers):
    graph, errors = {}, []
    for src in sorted(refs):
        graph.setdefault(src, {})
        for sym in sorted(refs[src]):
            dst = defs.get(sym)
            if dst is None or dst == src:
                continue
            if is_dispatch(src, sym, defs, layers):
                continue
            graph[src].setdefault(dst, sym)
            a, b = layers.of(src), layers.of(dst)
            if a and b and layers.rank[b] > layers.rank[a]:
                errors.append('%s (layer %s) calls %s() of %s (layer %s), '
                              'which is above it' % (src, a, sym, dst, b))
    return graph, errors


def cycles(graph):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def describe_cycle(comp, graph):
    edges = ['%s -> %s (%s)' % (a, b, graph[a][b])
             for a in comp for b in sorted(graph.get(a, {})) if b in comp]
    return 'cycle among %s: %s' % (', '.join(comp), '; '.join(edges))


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, name, errors, notes=()):
        self.n += 1
        for e in errors:
            print('# ' + e)
        for e in notes:
            print('# allowed: ' + e)
        print('%s %d - %s' % ('not ok' if errors else 'ok', self.n, name))
        self.failed += bool(errors)


def run(root, lib, tap):
    layers = Layers(read_layers(os.path.join(root, 'scripts/layers.txt')))
    print('# layers, lowest first: ' + ' < '.join(layers.names))
    errors, upward = check_includes(root, layers)
    tap.result('no include from a lower layer to a higher one', errors,
               upward)
    if not lib:
        return
    defs, refs = read_symbols(lib, root, layers)
    graph, errors = symbol_graph(defs, refs, layers)
    tap.result('no call from a lower layer to a higher one', errors)
    found = cycles(graph)
    print('# %d cycle(s) among the objects of libkvmage' % len(found))
    tap.result('no cycle among the objects of libkvmage',
               [describe_cycle(c, graph) for c in found])
    tap.result('only %s reads the environment' % ENV_READER,
               env_readers(refs))


def env_readers(refs):
    return ['%s reads the environment (%s): add a switch to %s instead' %
            (src, ', '.join(sorted(syms & set(ENV_SYMBOLS))), ENV_READER)
            for src, syms in sorted(refs.items())
            if src != ENV_READER and syms & set(ENV_SYMBOLS)]


def selftest(root, tap):
    """The checks must catch a deliberate upward include, call and cycle."""
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, 'scripts'))
        with open(os.path.join(root, 'scripts/layers.txt')) as f:
            text = f.read()
        with open(os.path.join(tmp, 'scripts/layers.txt'), 'w') as f:
            f.write(text)
        for d in ('memory', 'include/aging', 'aging'):
            os.makedirs(os.path.join(tmp, d))
        files = {
            'include/aging/aging.h': '',
            'aging/aging.c': '#include "aging/aging.h"\n',
            'memory/ram.c': '#include <stdio.h>\n'
                            '#include "aging/aging.h"\n',
            'memory/ok.c': '#include "aging/aging.h" /* layer: test */\n',
        }
        for rel, body in files.items():
            with open(os.path.join(tmp, rel), 'w') as f:
                f.write(body)
        layers = Layers(read_layers(os.path.join(tmp, 'scripts/layers.txt')))
        errors, upward = check_includes(tmp, layers)
        want = 'memory/ram.c:2: #include "aging/aging.h": layer memory ' \
               'includes layer aging'
        tap.result('selftest: an upward include is caught with its line',
                   [] if len(errors) == 1 and errors[0].startswith(want) and
                   len(upward) == 1 else
                   ['expected exactly "%s...", got %r' % (want, errors)])
        defs = {'aging_scan': 'aging/aging.c', 'ram_walk': 'memory/ram.c',
                'qmp_query_x': 'aging/aging.c'}
        refs = {'memory/ram.c': {'aging_scan'},
                'aging/aging.c': {'ram_walk'},
                'qapi-commands.c': {'qmp_query_x'}}
        graph, errors = symbol_graph(defs, refs, layers)
        ok = len(errors) == 1 and 'memory/ram.c (layer memory) calls ' \
            'aging_scan()' in errors[0]
        tap.result('selftest: an upward call is caught',
                   [] if ok else ['got %r' % errors])
        found = cycles(graph)
        tap.result('selftest: a cycle is caught, dispatch is not an edge',
                   [] if found == [['aging/aging.c', 'memory/ram.c']] else
                   ['got %r' % found])
        errors = env_readers({'memory/ram.c': {'g_getenv', 'malloc'},
                              ENV_READER: {'getenv'}})
        tap.result('selftest: a getenv outside %s is caught' % ENV_READER,
                   [] if len(errors) == 1 and
                   errors[0].startswith('memory/ram.c reads') else
                   ['got %r' % errors])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--root', required=True)
    ap.add_argument('--lib')
    ap.add_argument('--selftest', action='store_true')
    args = ap.parse_args()
    tap = Tap()
    if args.selftest:
        selftest(args.root, tap)
    run(args.root, args.lib, tap)
    print('1..%d' % tap.n)
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
