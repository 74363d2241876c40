"""Research institutes: licensing (they sell the contracts firms buy), alliances, key labs,
new-type R&D institutions and major breakthroughs."""

from __future__ import annotations

import numpy as np

from model.behaviour.incentives import Incentives, salience
from model.params.registry import col
from model.rng import Streams


def sellers(contracts: np.ndarray, inst_active: np.ndarray, rs: Streams) -> np.ndarray:
    """Contracts sold by each institute this year, (B, M): each contract goes to one
    active institute, drawn evenly."""
    B, n, k = contracts.shape
    m_active = inst_active.sum(1)
    u = rs.u("contract_seller", n * k).reshape(B, n, k)
    which = np.minimum((u * m_active[:, None, None]).astype(np.int64),
                       np.maximum(m_active - 1, 0)[:, None, None])
    M = inst_active.shape[1]
    flat = (np.arange(B)[:, None, None] * M + which)[contracts > 0]
    return np.bincount(flat, minlength=B * M).reshape(B, M)


def decide(i: dict, p: dict, inc: Incentives, rs: Streams) -> dict[str, np.ndarray]:
    m = i["active"].shape[1]
    act = i["active"]
    ev = {
        "alliance": act & (rs.u("alliance", m) < col(p, "alliance_prob") * (
            1 + col(p, "alliance_contract_effect") * i["contracts_last"])),
        "platform_regional": act & (rs.u("keylab", m) < col(p, "institute_keylab_prob")
                                    * salience(inc.value("P9a", "award_regional"), p)),
        "new_rd_institution": act & (rs.u("rd_institution", m) < col(p, "new_rd_institution_prob")
                                     * salience(inc.value("P10", "award"), p)),
        "major_breakthrough": act & (rs.u("breakthrough", m) < col(p, "breakthrough_prob")
                                     * salience(inc.schedule_total("P3"), p)),
    }
    return {k: v.astype(np.float64) for k, v in ev.items()}
