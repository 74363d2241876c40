"""What the policy offers this year, as the agents see it.

An agent weighs an award at its expected value: the clause amount, times the share of the
year in force, times 1 for a policy run (0 for the counterfactual), times the share of claims
it expects the budget to pay (1 without a budget line; see model.budget).
"""

from __future__ import annotations

import numpy as np

from model.params.registry import col
from model.policy.spec import Policy


class Incentives:
    def __init__(self, policy: Policy, year: int, on: np.ndarray, pay_ratio: np.ndarray) -> None:
        self.policy, self.year = policy, year
        self.weight = on * np.asarray(pay_ratio, np.float64).reshape(-1, 1)

    def value(self, clause: str, param: str):
        """Expected value of a clause parameter this year (0 when the clause is not in force)."""
        share = self.policy.year_share(clause, self.year)
        if share <= 0.0:
            return 0.0
        return self.policy.value(clause, param) * share * self.weight

    def schedule_total(self, clause: str):
        """Everything a multi-year clause pays for one event (P3, P13)."""
        share = self.policy.year_share(clause, self.year)
        if share <= 0.0:
            return 0.0
        total = sum(a for off, _, a in self.policy.schedule(clause)
                    if self.policy.payable(clause, self.year + off))
        return total * share * self.weight

    def schedule_value(self, clause: str, p: dict):
        """What a multi-year clause is worth to the one who earns it: its instalments, fund
        investments (P3's follow-on equity) valued at `equity_value_share` of their face."""
        share = self.policy.year_share(clause, self.year)
        if share <= 0.0:
            return 0.0
        grant = sum(a for off, k, a in self.policy.schedule(clause)
                    if k != "fund_investment" and self.policy.payable(clause, self.year + off))
        equity = sum(a for off, k, a in self.policy.schedule(clause)
                     if k == "fund_investment" and self.policy.payable(clause, self.year + off))
        return (grant + col(p, "equity_value_share") * equity) * share * self.weight

    def rate_on(self, event: str):
        """Expected subsidy rate on an event's amount, as the unit filing it sees it: the sum
        over the rate clauses that pay on it under the switches (P4 on a buyer's contracts,
        and any clause a scenario adds, such as vouchers)."""
        return sum(self.value(cid, "rate") for cid, c in self.policy.clauses.items()
                   if c.formula == "rate"
                   and any(t.event == event and self.policy.live(t) for t in c.triggers))

    def cap(self, clause: str, param: str) -> float:
        return self.policy.value(clause, param)


def salience(award, p: dict, cost_param: str = "recognition_effort_cost"):
    """How an award raises the chance of seeking it: 1 + s · A / (A + c).

    s (award_salience) is the largest proportional rise, reached when the award A dwarfs the
    effort cost c; an award equal to the cost gives half of it. Saturating, so a 700 万元
    award does not make a rare event common.
    """
    c = col(p, cost_param)
    return 1.0 + col(p, "award_salience") * award / (award + c)
