"""Clause groups as data (groups.toml): which group each clause belongs to, by its A2 item.

One place for the grouping that the sensitivity study's `cost_<group>` outputs and the
attribution of the policy's effect (model.attribution) both use. A clause whose item no group
lists (one a scenario adds, such as vouchers) falls in the fallback group.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from model.errors import InputError
from model.policy.spec import Policy, _read_toml

FILE = Path(__file__).parent / "groups.toml"


@dataclass(frozen=True)
class Group:
    name: str
    items: tuple[int, ...]  # A2 items whose clauses belong here
    label: dict  # {"en": ..., "zh": ...}
    fallback: bool = False  # the group of clauses whose item no group lists


@cache
def load_groups() -> dict[str, Group]:
    """The groups in report order, checked: integer items in one group each, a label in each
    language, exactly one fallback group."""
    raw = _read_toml(FILE)
    out: dict[str, Group] = {}
    seen: dict[int, str] = {}
    for name, g in raw.items():
        if not isinstance(g, dict):
            raise InputError(FILE, name, "a table [name] with items and label", g)
        items = g.get("items")
        if not isinstance(items, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in items):
            raise InputError(FILE, f"{name}.items", "a list of A2 item numbers", items)
        for i in items:
            if i in seen:
                raise InputError(FILE, f"{name}.items", f"items in one group only ({i} is "
                                 f"also in {seen[i]})", items)
            seen[i] = name
        label = g.get("label")
        if not isinstance(label, dict) or not all(isinstance(label.get(k), str)
                                                  for k in ("en", "zh")):
            raise InputError(FILE, f"{name}.label", "{ en = ..., zh = ... }", label)
        out[name] = Group(name, tuple(items), dict(label), bool(g.get("fallback", False)))
    fallbacks = [g.name for g in out.values() if g.fallback]
    if len(fallbacks) != 1:
        raise InputError(FILE, "fallback", "exactly one group with fallback = true", fallbacks)
    return out


def fallback_group() -> str:
    """The group of clauses whose item no group lists ("other")."""
    return next(g.name for g in load_groups().values() if g.fallback)


def group_items() -> dict[str, tuple[int, ...]]:
    """{group: its A2 items} for the groups that list items (the fallback left out)."""
    return {g.name: g.items for g in load_groups().values() if not g.fallback}


def group_of_item(item: int) -> str:
    return next((g.name for g in load_groups().values() if item in g.items), fallback_group())


def clause_group(policy: Policy, cid: str) -> str:
    """The group clause `cid` of `policy` belongs to."""
    return group_of_item(policy.clauses[cid].item)


def clauses_by_group(policy: Policy) -> dict[str, tuple[str, ...]]:
    """{group: its clause ids} in report order, for the groups `policy` has clauses in."""
    out: dict[str, list[str]] = {}
    for cid in policy.clause_ids:
        out.setdefault(clause_group(policy, cid), []).append(cid)
    return {g: tuple(out[g]) for g in load_groups() if g in out}


def group_label(name: str, lang: str = "en") -> str:
    lab = load_groups()[name].label
    return lab.get(lang) or lab["en"]
