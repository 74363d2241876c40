"""Budget lines and rationing: what is paid when claims exceed the money.

Without a budget line every claim is paid in full. With one, each year's claims are paid up
to the line (one total for every clause, and/or one limit per group of clauses), by a rule
the scenario chooses:

- ``pro_rata``: every claim on a rationed line is paid the same share of its amount;
- ``first_come``: claims are paid in full in application order until the money runs out
  (instalments due from earlier years first, then unit order; within a unit, clause order);
- ``priority``: clauses in the scenario's order, pro rata within a clause (clauses not
  listed share the last place).

Unpaid claims are either carried (presented again next year, ahead of that year's claims,
and rationed again) or dropped. The state that carries them lives with the run
(model.dynamics keeps it); this module is pure arithmetic over the run axis B: no loop over
runs, only over claim entries and budget lines.

Firms discount the awards they expect by the share of the year's presented claims that was
paid (model.dynamics sets ``pay_ratio``, model.behaviour.incentives applies it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.policy.core import KIND_CODES

RULES = ("pro_rata", "first_come", "priority")
UNPAID = ("carry", "drop")
GROUP_RANK = {"firm": 0, "institute": 1, "carrier": 2}  # unit order: the layout's order


@dataclass(frozen=True)
class BudgetLine:
    """A yearly limit (万元) on the claims of some clauses (all clauses when `clauses` is None)."""

    name: str
    limit: float
    clauses: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Budget:
    """An annual budget line and how it rations claims; see the module docstring."""

    total: float | None = None  # 万元 per year for every clause together
    groups: tuple[BudgetLine, ...] = ()  # 万元 per year per group of clauses
    rule: str = "pro_rata"
    priority: tuple[str, ...] = ()  # clause order for rule "priority"
    unpaid: str = "carry"
    kinds: tuple[str, ...] = KIND_CODES  # which kinds of money the line pays

    def lines(self) -> list[BudgetLine]:
        """Group lines first, then the total over everything they left paid."""
        out = list(self.groups)
        if self.total is not None:
            out.append(BudgetLine("total", float(self.total), None))
        return out

    def ration(self, claims: list, year: int, policy, *, n_carried: int = 0,
               n_due: int = 0) -> list[np.ndarray]:
        """Paid amounts, one (B, n) array per claim entry (group, clause, kind, amount).

        The first `n_carried` entries are claims carried from earlier years, the next `n_due`
        instalments falling due from earlier years' events; the rest are this year's claims.
        """
        paid = [np.asarray(c[3], np.float64).copy() for c in claims]
        if not claims:
            return paid
        B = paid[0].shape[0]
        kinds = {KIND_CODES.index(k) for k in self.kinds}
        ids = policy.clause_ids
        tier = [0 if j < n_carried else 1 if j < n_carried + n_due else 2
                for j in range(len(claims))]
        for line in self.lines():
            sel = [j for j, (_, c, k, _) in enumerate(claims)
                   if k in kinds and (line.clauses is None or ids[c] in line.clauses)]
            if not sel:
                continue
            rem = np.full(B, float(line.limit))
            arrs = [paid[j] for j in sel]
            if self.rule == "first_come":
                keys = [(tier[j], GROUP_RANK.get(claims[j][0], 3), j) for j in sel]
                out = _first_come(arrs, keys, rem)
            else:
                rank = [self._rank(ids[claims[j][1]]) for j in sel]
                carried = [tier[j] == 0 for j in sel]
                out = [None] * len(sel)
                # carried claims first, then this year's; priority ranks within each
                for first in (True, False):
                    for r in sorted({rank[i] for i in range(len(sel)) if carried[i] == first}):
                        idx = [i for i in range(len(sel)) if carried[i] == first and rank[i] == r]
                        got, rem = _pro_rata([arrs[i] for i in idx], rem)
                        for i, g in zip(idx, got, strict=True):
                            out[i] = g
            for j, a in zip(sel, out, strict=True):
                paid[j] = a
        return paid

    def _rank(self, clause_id: str) -> int:
        if self.rule != "priority":
            return 0
        return (self.priority.index(clause_id) if clause_id in self.priority
                else len(self.priority))


def _pro_rata(arrs: list[np.ndarray], rem: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Pay every claim the same share, min(1, money left / claimed), run by run."""
    total = sum(a.sum(1) for a in arrs)
    share = np.where(total > rem, rem / np.where(total > 0, total, 1.0), 1.0)
    share = np.clip(share, 0.0, 1.0)[:, None]
    got = [a * share for a in arrs]
    spent = sum(g.sum(1) for g in got)
    return got, np.maximum(rem - spent, 0.0)


def _first_come(arrs: list[np.ndarray], keys: list[tuple[int, int, int]],
                rem: np.ndarray) -> list[np.ndarray]:
    """Pay claims in full in a fixed order until the money runs out (cumulative sums).

    Order: tier (carried, due, new), then unit (group, slot), then entry. The order is the
    same in every run, so one sort serves the whole batch."""
    widths = [a.shape[1] for a in arrs]
    A = np.concatenate(arrs, axis=1)
    tier = np.concatenate([np.full(w, k[0]) for w, k in zip(widths, keys, strict=True)])
    grp = np.concatenate([np.full(w, k[1]) for w, k in zip(widths, keys, strict=True)])
    entry = np.concatenate([np.full(w, k[2]) for w, k in zip(widths, keys, strict=True)])
    unit = np.concatenate([np.arange(w) for w in widths])
    live = np.flatnonzero((A > 0).any(axis=0))  # columns some run claims on
    out = np.zeros_like(A)
    if live.size:
        order = live[np.lexsort((entry[live], unit[live], grp[live], tier[live]))]
        a = A[:, order]
        prior = np.cumsum(a, axis=1) - a  # paid to earlier claims if all were paid
        out[:, order] = np.clip(rem[:, None] - prior, 0.0, a)
    return np.split(out, np.cumsum(widths)[:-1], axis=1)


def pay(claims: list, budget: Budget | None, year: int, policy, *, n_carried: int = 0,
        n_due: int = 0) -> list[np.ndarray]:
    """Paid amounts, one array per claim (same order and shapes)."""
    if budget is None:
        return [c[3] for c in claims]
    return budget.ration(claims, year, policy, n_carried=n_carried, n_due=n_due)
