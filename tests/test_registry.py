"""The parameter registry: every number sourced, in range, used; code reads only names the
registry holds; docs/ODD.md carries the tables the data generates (issue 3)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from model import docs_odd
from model.params import default_params, load_registry

ROOT = Path(__file__).resolve().parents[1]
REG = load_registry()
# where a parameter may be used: any model code outside the policy package
CODE = {f: f.read_text(encoding="utf-8") for f in (ROOT / "model").rglob("*.py")
        if "policy" not in f.parts}
# the model's core, where `p` is always the parameter dict (elsewhere it may be a clause's)
CORE = [*(ROOT / "model" / "behaviour").glob("*.py"),
        *(ROOT / "model" / f"{m}.py" for m in ("dynamics", "population", "layout", "park",
                                               "batch", "agents", "targets"))]
CITATION = re.compile(r"(19|20)\d\d")  # a citation names its year (or date)


def test_registry_is_not_trivial():
    assert len(REG) >= 50
    assert default_params() == {k: s.value for k, s in REG.items()}


@pytest.mark.parametrize("name", sorted(REG))
def test_every_parameter_is_sourced_and_described(name):
    s = REG[name]
    src = s.source.strip()
    assert src.lower().startswith("assumption") or (
        src.startswith("[derived]") or CITATION.search(src)), f"{name}: {src!r}"
    if not src.lower().startswith("assumption"):
        # a citation names a source: an author, an outlet, or a document
        assert re.search(r"[A-Z][a-z]+", src), f"{name}: {src!r}"
    assert s.unit.strip() and len(s.meaning.strip()) > 10
    lo, hi = s.range
    assert lo <= s.value <= hi
    assert s.kind in ("uncertainty", "setting")
    if s.kind == "uncertainty":
        assert lo < hi, f"{name}: an uncertainty needs a range to vary over"


def test_every_parameter_is_used_in_the_model():
    unused = [n for n in REG if not any(f'"{n}"' in t for t in CODE.values())]
    assert not unused, f"registry parameters no model code reads: {unused}"


def test_every_parameter_the_code_reads_is_in_the_registry():
    pattern = re.compile(r'(?:\bcol|\bper_run)\(\s*\w+,\s*"(\w+)"|\bp\["(\w+)"\]|\breg\["(\w+)"\]')
    used = set()
    for path in CORE:
        for m in pattern.finditer(path.read_text(encoding="utf-8")):
            used.add(next(g for g in m.groups() if g))
    assert len(used) > 40  # the pattern does find the reads
    assert not used - set(REG), f"read by the code, missing from the registry: {used - set(REG)}"


def test_odd_carries_the_generated_tables():
    text = docs_odd.ODD_PATH.read_text(encoding="utf-8")
    assert docs_odd.render(text) == text, "run `python -m model.docs_odd` to refresh docs/ODD.md"
    table = docs_odd.parameter_table()
    assert table in text
    for name in REG:
        assert f"| `{name}` |" in table


def test_odd_covers_every_submodel_and_state_field():
    from model.state import FIRM_FIELDS, INST_FIELDS, ZONE_FIELDS

    text = docs_odd.ODD_PATH.read_text(encoding="utf-8")
    for field in (*FIRM_FIELDS, *INST_FIELDS, *ZONE_FIELDS):
        assert f"`{field}`" in text, field
    for fn in ("decide_rd", "decide_hte", "patents", "contracts", "recognitions", "listings",
               "grow", "exits", "arrivals", "entrant_sectors", "invest", "sellers",
               "salience", "dense_awards", "compute_ledger"):
        assert f"`{fn}`" in text, fn


# -- no bare behavioural constant in the reference rules (issue 16) ----------------------------
# The modules that state the model's rules; the kernels copy them and are held equal to them.
RULE_MODULES = sorted(p for p in (ROOT / "model" / "behaviour").glob("*.py")
                      if p.name != "compiled.py") + [ROOT / "model" / "population.py",
                                                     ROOT / "model" / "dynamics.py"]
# 0, 1 and -1 are structure (1 - share, axis 1, index -1); these floors only keep a division
# or a log finite (numerical guards, each with a comment where it is used)
NEUTRAL = {0.0, 1.0, -1.0}
GUARDS = {1e-6, 1e-9, 1e-12}
# other literals that are not behaviour: (file, value, text on the line) and why
NOT_BEHAVIOUR = {
    ("model/behaviour/investor.py", 30.0, "WEIGHT_CLIP ="),  # exp() overflow guard
    ("model/population.py", 0.02, "sh_trad = np.maximum"),  # guard: other firms keep a share
    ("model/population.py", 2020, "YEAR0 = 2020"),  # the year the 2020 zone describes
    ("model/population.py", 3, "ev = np.zeros((3,"),  # three arrival events, by row
    ("model/population.py", 2, "ev[2]"),
    ("model/dynamics.py", 2, "base + 2"),  # the service complex's carrier slot
}


def bare_constants(source: str, rel: str) -> list[tuple[int, float]]:
    """(line, value) of numeric literals in `source` that are neither neutral, a guard, nor
    listed in NOT_BEHAVIOUR: behavioural numbers belong in the registry or rules.toml."""
    lines = source.splitlines()
    hits = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
                and not isinstance(node.value, bool)):
            v = float(node.value)
            if v in NEUTRAL or v in GUARDS:
                continue
            text = lines[node.lineno - 1]
            if not any(f == rel and float(x) == v and s in text for f, x, s in NOT_BEHAVIOUR):
                hits.append((node.lineno, node.value))
    return hits


def test_the_constant_scan_finds_a_planted_number():
    planted = "def f(x):\n    return x * 0.5 + min(x, 3.0) - 1 + 1e-9\n"
    assert sorted(v for _, v in bare_constants(planted, "x.py")) == [0.5, 3.0]


def test_no_bare_behavioural_constant_in_the_rules():
    assert len(RULE_MODULES) >= 8
    found = {}
    for path in RULE_MODULES:
        rel = path.relative_to(ROOT).as_posix()
        hits = bare_constants(path.read_text(encoding="utf-8"), rel)
        if hits:
            found[rel] = hits
    assert not found, ("numbers in the rules that belong in model/params/registry.toml (with a "
                       f"source or 'assumption' and a range) or rules.toml: {found}")
