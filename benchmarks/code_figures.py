"""Figures of how the code reads (issue 8): long lines, semicolons, exported cell and function lengths, example
cells with a stored output, and where the settings are read. `python benchmarks/code_figures.py [DIR]`"""
import ast, json, re, statistics as st, sys
from pathlib import Path
root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1])
mods = [p for p in (root/'cat_classifier').glob('*.py') if p.name not in ('_modidx.py', '__init__.py')]
code = []
for p in mods:
    src = p.read_text().splitlines()
    in_all = False
    for i, l in enumerate(src):
        if l.startswith('__all__'): in_all = True
        if in_all:
            if l.rstrip().endswith(']'): in_all = False
            continue
        if i == 0 and l.startswith('"""'): continue
        if l.strip() and not l.strip().startswith('#'): code.append(l)
over120 = sum(len(l) > 120 for l in code); over110 = sum(len(l) > 110 for l in code)
import io, tokenize
semis = sum(t.type == tokenize.OP and t.string == ';'  # statements joined by ';', not ';' inside strings
            for p in mods for t in tokenize.generate_tokens(io.StringIO(p.read_text()).readline))
funcs = []
for p in mods:
    for n in ast.walk(ast.parse(p.read_text())):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)): funcs.append(n.end_lineno - n.lineno + 1)
cells, ex_total, ex_out = [], 0, 0
for nb in sorted((root/'notebooks').glob('[0-9]*.ipynb')):
    d = json.loads(nb.read_text())
    for c in d['cells']:
        if c['cell_type'] != 'code': continue
        s = ''.join(c['source'])
        if s.startswith('#| export'): cells.append(len(s.splitlines()) - 1)
        elif not s.startswith(('#| default_exp', '#| slow', '#| hide')) and not re.match(r'^(import|from) ', s):
            if all(l.startswith(('test_', 'assert')) or not l.strip() for l in s.splitlines()): continue
            ex_total += 1; ex_out += bool(c.get('outputs'))
ls = sum(len(re.findall(r'load_settings\(', p.read_text())) for p in mods)
print(f'code lines {len(code)}; over 120: {over120} ({100*over120/len(code):.2f}%); over 110: {over110} ({100*over110/len(code):.2f}%)')
print(f'semicolons (statements joined on a line): {semis}, {100*semis/len(code):.2f} per 100 lines')
print(f'exported cell lines median/max: {st.median(cells)}/{max(cells)}; function length median/p90/max: '
      f'{st.median(funcs)}/{sorted(funcs)[int(.9*len(funcs))]}/{max(funcs)}')
print(f'example cells with output: {ex_out} of {ex_total}; load_settings( calls in the package: {ls}')
