"""Research institutes: licensing (they sell the contracts firms buy), alliances, key labs,
new-type R&D institutions and major breakthroughs."""

from __future__ import annotations

import numpy as np

from model.behaviour.incentives import Incentives, salience
from model.params.registry import col
from model.rng import Streams


def sellers(contracts: np.ndarray, others: np.ndarray, f: dict, inst_active: np.ndarray,
            p: dict, rs: Streams) -> tuple[np.ndarray, np.ndarray]:
    """Who sold each of the year's contracts (bought by zone firms: `contracts` of the types
    P4 covers, `others` of the rest, both (B, n, k)).

    A contract is sold by a zone enterprise with probability `contract_zone_seller_share`:
    one drawn evenly among the other active firms with R&D >= `platform_min_rd` (firms that
    run R&D to sell; a firm does not sell to itself). Otherwise an institute or a seller
    outside the zone sold it, counted as the zone's institutes' licensing, one active
    institute drawn evenly (institutes' contracts raise their chance of an alliance).
    What a zone seller's own supply does in response to P4 is not modelled.

    Returns (contracts sold by each institute (B, M), the selling firm's slot per contract
    (B, n, k) int32, -1 where no zone enterprise sold it)."""
    B, n, k = contracts.shape
    signed = (contracts > 0) | (others > 0)
    eligible = f["active"] & (f["rd"] >= col(p, "platform_min_rd"))
    m_cand = (eligible.sum(1)[:, None] - eligible)[:, :, None]  # (B, n, 1): the buyer excluded
    zone = signed & (rs.u("contract_zone_seller", n * k).reshape(B, n, k)
                     < np.expand_dims(col(p, "contract_zone_seller_share"), -1)) & (m_cand > 0)
    pick = np.minimum((rs.u("contract_seller_firm", n * k).reshape(B, n, k) * m_cand
                       ).astype(np.int64), m_cand - 1)
    cum = np.cumsum(eligible, axis=1)  # eligible firms up to and including each slot
    own = eligible[:, :, None] & (pick >= (cum - 1)[:, :, None])  # skip the buyer's own rank
    pick = pick + own
    # the slot of each run's (pick + 1)-th eligible firm: one search over the runs' rows,
    # offset so that the cumulative counts rise across the flattened (B, n)
    step = np.arange(B, dtype=np.int64) * (n + 1)
    key = (cum + step[:, None]).ravel()
    at = np.searchsorted(key, (pick + 1 + step[:, None, None]).ravel(), side="left")
    slot = at.reshape(B, n, k) - (np.arange(B, dtype=np.int64) * n)[:, None, None]
    seller = np.where(zone, slot, -1).astype(np.int32)
    m_active = inst_active.sum(1)
    u = rs.u("contract_seller", n * k).reshape(B, n, k)
    which = np.minimum((u * m_active[:, None, None]).astype(np.int64),
                       np.maximum(m_active - 1, 0)[:, None, None])
    M = inst_active.shape[1]
    flat = (np.arange(B)[:, None, None] * M + which)[signed & ~zone]
    return np.bincount(flat, minlength=B * M).reshape(B, M), seller


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
                                     * salience(inc.schedule_value("P3", p), p)),
    }
    return {k: v.astype(np.float64) for k, v in ev.items()}
