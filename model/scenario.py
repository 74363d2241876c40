"""Scenarios: a TOML file that says how a run differs from what it extends.

(Being completed under issue 5: `extends`, full validation with clear errors.)
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from model.params import default_params
from model.policy.spec import Policy, load_policy


@dataclass(frozen=True)
class Scenario:
    name: str
    purpose: str
    policy: Policy
    params: dict[str, float]
    path: Path | None = None
    start: int = 2020
    horizon: int = 2025
    replications: int = 1000
    seed: int = 20200616
    t7_count_from: str = "policy_start"
    budget: object | None = None  # model.budget.Budget
    raw: dict = field(default_factory=dict)  # the merged TOML, as run.json records it

    def digest(self) -> str:
        """A hash of the merged scenario content: two runs of equal hashes ran the same input."""
        blob = json.dumps(self.raw, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    run = raw.get("run", {})
    policy = load_policy()
    if raw.get("policy", {}).get("enabled", True) is False:
        policy = policy.without_awards()
    return Scenario(name=raw.get("name", path.stem), purpose=raw.get("purpose", ""),
                    policy=policy, params={**default_params(), **raw.get("parameters", {})},
                    path=path, raw=raw, **{k: run[k] for k in (
                        "start", "horizon", "replications", "seed") if k in run})
