"""The policy as data (clause files, switches, window) and the award core."""

from model.policy.core import Events, Ledger, compute_ledger
from model.policy.spec import Policy, load_policy

__all__ = ["Events", "Ledger", "Policy", "compute_ledger", "load_policy"]
