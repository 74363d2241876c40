"""Budget lines and rationing: what is paid when claims exceed the money.

Without a budget line every claim is paid in full.
"""

from __future__ import annotations

import numpy as np


def pay(claims: list, budget, year: int, policy) -> list[np.ndarray]:
    """Paid amounts, one array per claim (same order and shapes)."""
    if budget is None:
        return [c[3] for c in claims]
    return budget.ration(claims, year, policy)
