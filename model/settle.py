"""Award bookkeeping of a run: claims booked, paid (or rationed by a budget line), instalments
kept for later years, and what is still owed after the horizon.

The yearly loop (model.dynamics) calls `settle_year` once per year with the year's events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.budget import pay
from model.policy.core import KIND_CODES
from model.policy.dense import dense_awards
from model.state import State

if TYPE_CHECKING:
    from model.dynamics import Context

GROUPS = ("firm", "institute", "carrier")
MAX_OFFSET = 3


@dataclass
class Fiscal:
    """Money per run, clause, kind and year: claimed, paid, and committed beyond the horizon.

    With a budget line (model.budget), claims the line left unpaid are `carried` (owed at the
    end of the year, presented again next year) or `dropped`; per clause and kind,
    sum(claims) = sum(paid) + sum(dropped) + carried[..., -1]."""

    claims: np.ndarray  # (B, C, K, Y) new claims of the year (carried ones not counted again)
    paid: np.ndarray  # (B, C, K, Y)
    committed: np.ndarray  # (B, C, K, MAX_OFFSET): due 1, 2, 3 years after the horizon
    carried: np.ndarray | None = None  # (B, C, K, Y) unpaid at the end of the year, carried
    dropped: np.ndarray | None = None  # (B, C, K, Y) unpaid and dropped in the year

    def __post_init__(self) -> None:
        for a in ("carried", "dropped"):
            if getattr(self, a) is None:
                setattr(self, a, np.zeros_like(self.paid))

    @classmethod
    def zeros(cls, B: int, n_clauses: int, n_years: int) -> Fiscal:
        K = len(KIND_CODES)
        return cls(np.zeros((B, n_clauses, K, n_years)), np.zeros((B, n_clauses, K, n_years)),
                   np.zeros((B, n_clauses, K, MAX_OFFSET)))


def init_run(st: State, ctx: Context) -> None:
    """Attach the award bookkeeping a run needs to its state."""
    B = st.B
    st.extra["fiscal"] = Fiscal.zeros(B, len(ctx.policy.clauses), len(ctx.layout.years))
    L = ctx.layout
    widths = {"firm": L.n_firms, "institute": L.n_inst, "carrier": L.n_carriers}
    st.extra["pending"] = {}  # (group, clause, kind) -> (B, width, MAX_OFFSET)
    st.extra["widths"] = widths
    # whether a unit was paid before, for clauses paid once per unit (full width, kept)
    once = [cid for cid, c in ctx.policy.clauses.items()
            if any(t.once_per_unit for t in c.triggers) or c.formula == "patent_threshold"]
    st.extra["hist"] = {g: {cid: np.zeros((B, w), bool) for cid in once}
                        for g, w in widths.items()}


def fund_investment_due(st: State, ctx: Context, year: int) -> np.ndarray:
    fiscal: Fiscal = st.extra["fiscal"]
    y = st.layout.year_index(year)
    return fiscal.paid[:, :, KIND_CODES.index("fund_investment"), y].sum(1)


def settle_year(st: State, ctx: Context, year: int, ev: dict) -> np.ndarray:
    """Book the year's claims, pay them (through the budget, if any); return firms' receipts."""
    fiscal: Fiscal = st.extra["fiscal"]
    pending, hist, widths = st.extra["pending"], st.extra["hist"], st.extra["widths"]
    y = st.layout.year_index(year)
    n = {"firm": st.f["active"].shape[1], "institute": widths["institute"],
         "carrier": widths["carrier"]}
    # pending[key][:, u, j] is due j years from now: instalments due this year come first
    claims = [(g, c, k, buf[:, :n[g], 0].copy()) for (g, c, k), buf in pending.items()]
    n_due = len(claims)
    for g in GROUPS:
        h = {cid: v[:, :n[g]] for cid, v in hist[g].items()}
        for a in dense_awards(ctx.policy, year, ev[g], ctx.on, h):
            if a.offset == 0:
                claims.append((g, a.clause, a.kind, a.amount))
            else:
                key = (g, a.clause, a.kind)
                buf = pending.setdefault(key, np.zeros((st.B, widths[g], MAX_OFFSET)))
                buf[:, :n[g], a.offset] += a.amount
    for buf in pending.values():
        buf[..., :-1] = buf[..., 1:]
        buf[..., -1] = 0.0
    # claims a budget line left unpaid in earlier years and carried are presented first
    carry = st.extra.setdefault("carry", {})
    back = [(g, c, k, buf[:, :n[g]].copy()) for (g, c, k), buf in carry.items()]
    carry.clear()
    claims = back + claims
    paid = pay(claims, ctx.budget, year, ctx.policy, n_carried=len(back), n_due=n_due)
    claimed_total = np.zeros(st.B)
    paid_total = np.zeros(st.B)
    received = np.zeros((st.B, n["firm"]))
    for j, ((g, c, k, amt), pd_) in enumerate(zip(claims, paid, strict=True)):
        cs, ps = amt.sum(1), pd_.sum(1)
        if j >= len(back):
            fiscal.claims[:, c, k, y] += cs
        fiscal.paid[:, c, k, y] += ps
        claimed_total += cs
        paid_total += ps
        if g == "firm":
            received += pd_
        if ctx.budget is not None:
            left = amt - pd_
            if ctx.budget.unpaid == "carry":
                buf = carry.setdefault((g, c, k), np.zeros((st.B, widths[g])))
                buf[:, :n[g]] += left
                fiscal.carried[:, c, k, y] += left.sum(1)
            else:
                fiscal.dropped[:, c, k, y] += left.sum(1)
    st.z["pay_ratio"] = np.where(claimed_total > 0, paid_total / np.maximum(claimed_total, 1e-12),
                                 st.z["pay_ratio"])
    return received


def close_run(st: State, ctx: Context) -> None:
    """Instalments still pending after the horizon are commitments: book them."""
    fiscal: Fiscal = st.extra["fiscal"]
    for (_, c, k), buf in st.extra["pending"].items():
        fiscal.committed[:, c, k, :] += buf.sum(1)


__all__ = ["GROUPS", "MAX_OFFSET", "Fiscal", "close_run", "fund_investment_due", "init_run",
           "settle_year"]
