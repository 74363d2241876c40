"""Decision rules as functions over arrays: written once, used by ParkModel and the batch engine.

Each rule takes state arrays of shape (B, n), parameters as scalars or (B, 1) columns, the
incentives the policy offers this year, and uniforms from the run's own streams. No module
here knows of Mesa.
"""
