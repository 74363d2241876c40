"""Carriers: incubators (P13b), 双创 demonstration bases (P13a), the service complex (P12),
offshore incubators (T8) and international cooperation bases (T9), decided zone-wide."""

from __future__ import annotations

import numpy as np

from model.behaviour.incentives import Incentives, salience
from model.params.registry import col
from model.rng import Streams


def decide(z: dict, p: dict, inc: Incentives, rs: Streams) -> dict[str, np.ndarray]:
    """Zone-level events of the year, each (B,) bool."""
    def draw(name: str, prob) -> np.ndarray:
        return rs.u(name, 1)[:, 0] < np.broadcast_to(np.asarray(prob, np.float64).reshape(-1),
                                                    rs.roots.shape)

    has_complex = z["service_complex"]
    return {
        "national_incubator": draw("incubator", col(p, "incubator_prob")
                                   * salience(inc.schedule_total("P13b"), p)),
        "dual_innovation_base": draw("dual_base", col(p, "dual_base_prob")
                                     * salience(inc.schedule_total("P13a"), p)),
        "complex_built": ~has_complex & draw(
            "service_complex", col(p, "service_complex_prob")
            * salience(inc.value("P12", "award"), p)),
        "service_complex_excellent": has_complex & draw("excellent", col(p, "excellent_prob")),
        "offshore_incubator": draw("offshore_incubator", col(p, "offshore_incubator_prob")),
        "intl_base": draw("intl_base", col(p, "intl_base_prob")),
    }
