"""Apply a scenario's `[policy]` table to a `Policy`, rejecting anything the data does not know.

A what-if is only as good as its input: a misspelt switch or parameter that were silently
ignored would report the baseline's cost under the scenario's name. So every key is checked
against switches.toml and the clause files, and an error names the file, the key path and the
nearest valid key. The scenario module (issue 5) reuses `apply_policy_overrides`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from model import values
from model.errors import InputError, suggest
from model.policy.spec import Policy

POLICY_KEYS = ("enabled", "end", "switches", "clauses", "targets")
RUN_TARGET_SWITCHES = ("t7_count_from",)  # set in the scenario's [run], not here
CLAUSE_KEYS = ("enabled", "end")
# Top-level scenario keys that do not change the policy; `parksim awards` reads past them.


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _date(v: Any, file: str, where: str) -> dt.date:
    if isinstance(v, dt.datetime) or not isinstance(v, dt.date):
        raise InputError(file, where, "a TOML date such as 2023-12-31", v)
    return v


def _switch_value(policy: Policy, name: str, v: Any, file: str, where: str) -> Any:
    s = policy.switches[name]
    if s.choices is not None:
        # True == 1 in Python, so compare types too: `honour_after_window = 1` is a typo.
        if not any(type(v) is type(c) and v == c for c in s.choices):
            raise InputError(file, where, "one of " + ", ".join(
                str(c).lower() if isinstance(c, bool) else repr(c) for c in s.choices), v)
        return v
    lo, hi = s.range if s.range is not None else (0.0, values.MAX_AMOUNT_WAN)
    if not _is_number(v) or not lo <= v <= hi:
        raise InputError(file, where, f"a number from {lo:g} to {hi:g} ({s.unit})".rstrip(" ()"),
                         v)
    return values.finite(file, where, v)


def apply_policy_overrides(policy: Policy, table: dict, file: str,
                           handled: Iterable[str] = ()) -> Policy:
    """`policy` with the overrides of a scenario's `[policy]` table applied.

    `handled` lists extra keys of the table that the caller deals with itself (skipped here).
    """
    file = str(file)
    if not isinstance(table, dict):
        raise InputError(file, "policy", "a table", table)
    valid = (*POLICY_KEYS, *handled)
    for key in table:
        if key not in valid:
            raise InputError(file, f"policy.{key}", "one of " + ", ".join(valid)
                             + suggest(key, valid), key)
    if "enabled" in table:
        if not isinstance(table["enabled"], bool):
            raise InputError(file, "policy.enabled", "true or false", table["enabled"])
        if not table["enabled"]:
            policy = policy.without_awards()
    if "end" in table:
        end = _date(table["end"], file, "policy.end")
        if end < policy.start:
            raise InputError(file, "policy.end", f"a date on or after {policy.start}", end)
        policy = policy.with_window(end)

    switches = table.get("switches", {})
    if not isinstance(switches, dict):
        raise InputError(file, "policy.switches", "a table of switch = value", switches)
    values = {}
    for name, v in switches.items():
        where = f"policy.switches.{name}"
        if name not in policy.switches:
            raise InputError(file, where, "a switch of model/policy/switches.toml"
                             + suggest(name, policy.switches), name)
        values[name] = _switch_value(policy, name, v, file, where)
    policy = policy.with_switches(**values)
    policy = _target_overrides(policy, table.get("targets", {}), file)

    clauses = table.get("clauses", {})
    if not isinstance(clauses, dict):
        raise InputError(file, "policy.clauses", "tables [policy.clauses.<ID>]", clauses)
    for cid, over in clauses.items():
        if cid not in policy.clauses:
            raise InputError(file, f"policy.clauses.{cid}", "a clause id such as P4"
                             + suggest(cid, policy.clauses), cid)
        if not isinstance(over, dict):
            raise InputError(file, f"policy.clauses.{cid}", "a table of parameter = number",
                             over)
        policy = _clause_overrides(policy, cid, over, file)
    return policy


def _target_overrides(policy: Policy, table: Any, file: str) -> Policy:
    """[policy.targets]: how T5 and T6 are counted (switches of model/targets.toml)."""
    from model.targets import load_targets

    if not isinstance(table, dict):
        raise InputError(file, "policy.targets", "a table of switch = value", table)
    known = {k: v for k, v in load_targets()["switches"].items()
             if k not in RUN_TARGET_SWITCHES}
    values = {}
    for name, v in table.items():
        where = f"policy.targets.{name}"
        if name not in known:
            hint = " (t7_count_from is set in [run])" if name in RUN_TARGET_SWITCHES else ""
            raise InputError(file, where, "a switch of model/targets.toml" + hint
                             + suggest(name, known), name)
        choices = known[name]["choices"]
        if not any(type(v) is type(c) and v == c for c in choices):
            raise InputError(file, where, "one of " + ", ".join(
                str(c).lower() if isinstance(c, bool) else repr(c) for c in choices), v)
        values[name] = v
    return policy.with_targets(**values) if values else policy


def _clause_overrides(policy: Policy, cid: str, over: dict, file: str) -> Policy:
    params = policy.clauses[cid].params
    valid = (*params, *CLAUSE_KEYS)
    for key, v in over.items():
        where = f"policy.clauses.{cid}.{key}"
        if key == "enabled":
            if not isinstance(v, bool):
                raise InputError(file, where, "true or false", v)
            policy = policy.with_clause(cid, enabled=v)
        elif key == "end":
            policy = policy.with_clause(cid, end=_date(v, file, where))
        elif key in params:
            policy = policy.with_param(cid, key, values.clause_number(file, where, v,
                                                                      params[key].unit))
        else:
            raise InputError(file, where, f"a parameter of {cid} ({', '.join(valid)})"
                             + suggest(key, valid), key)
    return policy
