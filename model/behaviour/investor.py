"""Investors: angels, venture funds, the guidance fund and the zone's innovation fund.

Each places its yearly capital in deals of `ticket_size`, screening firms by growth and R&D:
a firm's chance of a deal from investor k is deals_k × its weight / the weights of all
firms k would consider. The innovation fund's capital is first used for P3 follow-ons.
"""

from __future__ import annotations

import numpy as np

from model import mathfn as mf
from model.params.registry import col, per_run
from model.params.rules import load_rules
from model.rng import Streams
from model.state import INVESTOR_TYPES

CAPITAL = {"angel": "angel_capital", "venture": "venture_capital",
           "guidance_fund": "guidance_capital", "innovation_fund": "innovation_fund_capital"}
WEIGHT_CLIP = 30.0  # exp() overflow guard on the screening score


def invest(f: dict, p: dict, rs: Streams, followon_due: np.ndarray):
    """Returns (amount invested per firm (B, N), capital (B, K), deals placed (B, K))."""
    n = f["active"].shape[1]
    act = f["active"]
    rd_int = f["rd"] / np.maximum(f["revenue"], 1e-9)  # 1e-9: a guard for empty slots
    w = mf.exp(np.clip(col(p, "screen_growth_weight") * f["growth_last"]
                       + col(p, "screen_rd_weight")
                       * np.minimum(rd_int, col(p, "rd_intensity_max")), -WEIGHT_CLIP,
                       WEIGHT_CLIP))
    strategic = load_rules()["sectors"]["strategic_mask"][f["sector"]]
    considers = {"angel": act & (f["age"] <= col(p, "angel_max_age")),
                 "venture": act & strategic,
                 "guidance_fund": act & strategic,
                 "innovation_fund": act & f["hte"]}
    B = act.shape[0]
    capital = np.zeros((B, len(INVESTOR_TYPES)))
    prob = np.zeros((B, n))
    parts = []
    for k, name in enumerate(INVESTOR_TYPES):
        cap = per_run(p, CAPITAL[name], B).copy()
        if name == "innovation_fund":
            cap = np.maximum(cap - followon_due, 0.0)
        capital[:, k] = cap
        deals = cap / per_run(p, "ticket_size", B)
        wk = np.where(considers[name], w, 0.0)
        pk = np.minimum(deals[:, None] * wk / np.maximum(wk.sum(1, keepdims=True), 1e-12), 1.0)
        parts.append(pk)
        prob = prob + pk
    hit = rs.u("investment", n) < np.minimum(prob, 1.0)
    amount = np.where(hit, per_run(p, "ticket_size", B)[:, None], 0.0)
    share = np.stack(parts, -1) / np.maximum(prob, 1e-12)[..., None]
    placed = (share * hit[..., None]).sum(1)
    return amount, capital, placed
