"""Figures of how the code reads (issues 8 and 23): long lines, semicolons, exported cell and function lengths,
example cells with a stored output, where the settings are read, and issue 23's targets, each with a pass/fail
mark. `python benchmarks/code_figures.py [DIR]`"""
import ast, hashlib, io, json, re, statistics as st, sys, tokenize
from collections import defaultdict
from pathlib import Path
root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1])
pkg = 'cat_classifier'
mods = sorted(p for p in (root/pkg).glob('*.py') if p.name not in ('_modidx.py', '__init__.py'))
srcs = {p: p.read_text() for p in mods}
trees = {p: ast.parse(s) for p, s in srcs.items()}

def code_lines(src):
    "Lines of code, without `__all__`, the module docstring's first line, blank lines and comments."
    out, in_all = [], False
    for i, l in enumerate(src.splitlines()):
        if l.startswith('__all__'): in_all = True
        if in_all:
            if l.rstrip().endswith(']'): in_all = False
            continue
        if i == 0 and l.startswith('"""'): continue
        if l.strip() and not l.strip().startswith('#'): out.append(l)
    return out

code = [l for s in srcs.values() for l in code_lines(s)]
over120 = sum(len(l) > 120 for l in code); over110 = sum(len(l) > 110 for l in code)
toks = {p: list(tokenize.generate_tokens(io.StringIO(s).readline)) for p, s in srcs.items()}
semis = sum(t.type == tokenize.OP and t.string == ';' for ts in toks.values() for t in ts)  # not ';' in strings
funcs = [n for t in trees.values() for n in ast.walk(t) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
flen = sorted(n.end_lineno - n.lineno + 1 for n in funcs)

def n_params(f):
    "Named parameters of `f`, without `self` and `cls`."
    a = f.args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs] + [x.arg for x in (a.vararg, a.kwarg) if x]
    return sum(n not in ('self', 'cls') for n in names)
many = sorted((n_params(f), f.name) for f in funcs if n_params(f) >= 7)

def split_strings(ts):
    "Groups of adjacent string literals (implicitly concatenated) that run over more than one line."
    n, group = 0, []
    for t in ts + [None]:
        if t is not None and t.type in (tokenize.NL, tokenize.COMMENT) and group: continue
        if t is not None and t.type == tokenize.STRING: group.append(t); continue
        if len(group) > 1 and group[0].start[0] != group[-1].start[0]: n += 1
        group = []
    return n
splits = {p.name: split_strings(ts) for p, ts in toks.items()}

def private_imports(tree, skip_own=None):
    "`(module, name)` for each private name imported from the package, and `module._name` read off an import."
    out, aliases = [], {}
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom):
            m = ('' if n.level == 0 else pkg + '.') + (n.module or '')
            if not m.startswith(pkg): continue
            for a in n.names:
                if a.name.startswith('_') and not a.name.startswith('__'): out.append((m, a.name))
                elif n.level == 0 and m == pkg or n.level and not n.module: aliases[a.asname or a.name] = a.name
        elif isinstance(n, ast.Import):
            for a in n.names:
                if a.name.startswith(pkg + '.'): aliases[a.asname or a.name.split('.')[0]] = a.name
    for n in ast.walk(tree):
        if (isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in aliases
                and n.attr.startswith('_') and not n.attr.startswith('__')):
            out.append((aliases[n.value.id], n.attr))
    return sorted(set(out))
priv_pkg = {p.stem: private_imports(t) for p, t in trees.items()}
priv_pkg = {k: v for k, v in priv_pkg.items() if v}
others = sorted([*(root/'tests').glob('*.py'), *(root/'benchmarks').glob('*.py')])
priv_other = {}
for p in others:
    try: v = private_imports(ast.parse(p.read_text()))
    except SyntaxError: continue
    if v: priv_other[f'{p.parent.name}/{p.name}'] = v

cells, defs3, ex_total, ex_out, bare = [], [], 0, 0, []
for nb in sorted((root/'notebooks').glob('[0-9]*.ipynb')):
    for c in json.loads(nb.read_text())['cells']:
        if c['cell_type'] != 'code': continue
        s = ''.join(c['source'])
        if s.startswith('#| export'):
            cells.append(len(s.splitlines()) - 1)
            try: body = ast.parse(s).body
            except SyntaxError: continue
            nd = sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in body)
            if nd >= 3: defs3.append(f'{nb.stem} ({nd}: {s.splitlines()[1][:40]}...)')
        elif not s.startswith(('#| default_exp', '#| slow', '#| hide')) and not re.match(r'^(import|from) ', s):
            if all(l.startswith(('test_', 'assert')) or not l.strip() for l in s.splitlines()): continue
            ex_total += 1; ex_out += bool(c.get('outputs'))

def duplicate_blocks(win=6):
    "Blocks of `win` or more normalised code lines (stripped, no blanks or comments) written twice in the package."
    seen, lines = defaultdict(list), {}
    for p, s in srcs.items():
        ls = [l.strip() for l in code_lines(s)]
        lines[p.name] = ls
        for i in range(len(ls) - win + 1):
            seen[hashlib.sha1('\n'.join(ls[i:i+win]).encode()).hexdigest()].append((p.name, i))
    dup = {(m, i) for v in seen.values() if len(v) > 1 for m, i in v}
    blocks = []  # runs of overlapping duplicated windows, one per place; a pair of places counts as one block
    for m, i in sorted(dup):
        if blocks and blocks[-1][0] == m and i <= blocks[-1][2] + 1: blocks[-1][2] = i
        else: blocks.append([m, i, i])
    return [(m, lines[m][i]) for m, i, _ in blocks]
dups = duplicate_blocks()

ls = sum(len(re.findall(r'load_settings\(', s)) for s in srcs.values())
print(f'code lines {len(code)}; over 120: {over120} ({100*over120/len(code):.2f}%); over 110: {over110} ({100*over110/len(code):.2f}%)')
print(f'semicolons (statements joined on a line): {semis}, {100*semis/len(code):.2f} per 100 lines')
print(f'function length median/p90/max: {st.median(flen)}/{flen[int(.9*len(flen))]}/{max(flen)}')
print(f'load_settings( calls in the package: {ls}')
print("\nissue 23's targets:")
def target(name, value, ok, goal, detail=''):
    print(f"  [{'pass' if ok else 'FAIL'}] {name}: {value} (target {goal}){detail}")
target('exported cell lines, median/max', f'{st.median(cells)}/{max(cells)}',
       st.median(cells) <= 10 and max(cells) <= 40, '<= 10 / <= 40')
target('exported cells with 3 or more top-level definitions', len(defs3), len(defs3) <= 4, '<= 4',
       ''.join(f'\n      {d}' for d in defs3))
target('string literals split across lines', sum(splits.values()), sum(splits.values()) <= 10, '<= 10',
       '\n      ' + ', '.join(f'{k} {v}' for k, v in splits.items() if v))
target('private names imported across modules of the package', sum(map(len, priv_pkg.values())),
       not priv_pkg, '0', ''.join(f'\n      {k}: ' + ', '.join(f'{m.split(".")[-1]}.{n}' for m, n in v)
                                  for k, v in priv_pkg.items()))
n_other = sum(map(len, priv_other.values()))
print(f'         (and by tests and benchmarks: {n_other})' + ''.join(
    f'\n      {k}: ' + ', '.join(f'{m.split(".")[-1]}.{n}' for m, n in v) for k, v in priv_other.items()))
pct = 100 * ex_out / ex_total
target('example cells with a stored output', f'{ex_out} of {ex_total}, {pct:.0f}%', pct >= 80, '>= 80%')
target('functions with 7 or more parameters', len(many), len(many) <= 4, '<= 4',
       '\n      ' + ', '.join(f'{n} ({k})' for k, n in many))
target('blocks of six or more lines written twice in the package', len(dups), not dups, '0',
       ''.join(f'\n      {m}: {l[:70]}' for m, l in dups))
