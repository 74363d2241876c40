"""New firms, HTEs relocating from outside Xinjiang, listed gazelles and unicorns settling.

Counts are Poisson draws per run; each arrival takes the next slot of its year's block, so
the j-th arrival of a year meets the same random numbers in every scenario.
"""

from __future__ import annotations

import numpy as np

from model.behaviour.incentives import Incentives, salience
from model.params.registry import col, per_run
from model.params.rules import load_rules
from model.rng import Streams, poisson_from_uniform


def arrivals(rs: Streams, name: str, lam, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """(count placed, count lost beyond the block's capacity), each (B,)."""
    lam = np.broadcast_to(np.asarray(lam, np.float64).reshape(-1), rs.roots.shape)
    n = poisson_from_uniform(rs.u(name, 1)[:, 0], lam)
    return np.minimum(n, cap), np.maximum(n - cap, 0)


def hitech_share(p: dict, inc: Incentives):
    """The high-tech share of entrants: higher when P6c makes certification pay more."""
    return np.minimum(col(p, "entry_hitech_share") * (
        1 + col(p, "entry_award_elasticity") * inc.value("P6c", "award")
        / col(p, "recognition_effort_cost")), col(p, "entry_hitech_share_max"))


def entrant_sectors(p: dict, inc: Incentives, rs: Streams, n: int, offset: int) -> np.ndarray:
    """Sector of each entrant: high-tech with probability `hitech_share`."""
    s = load_rules()["sectors"]
    share = hitech_share(p, inc)
    u, u2 = rs.u("entry_sector", n, offset), rs.u("entry_subsector", n, offset)
    strategic_ids = np.flatnonzero(s["strategic_mask"])
    w = np.asarray(s["firm_shares"])[strategic_ids]
    pick = strategic_ids[np.minimum(np.searchsorted(np.cumsum(w) / w.sum(), u2),
                                    strategic_ids.size - 1)]
    return np.where(u < share, pick, s["traditional"]).astype(np.int8)


def expected_entry(p: dict, n_active: np.ndarray) -> np.ndarray:
    """Base entry: a share of the firms already in the zone."""
    return per_run(p, "entry_rate", n_active.size) * n_active


def relocation_rate(p: dict, inc: Incentives):
    return col(p, "relocation_rate") * salience(inc.value("P6d", "award"), p)


def settle_rates(p: dict, inc: Incentives):
    return (col(p, "gazelle_settle_rate") * salience(inc.value("P6b", "award"), p),
            col(p, "unicorn_settle_rate") * salience(inc.value("P6a", "award"), p))
