"""parksim: Changji National High-tech Zone under its 2020 innovation policy, and its cost."""

__version__ = "0.1.0"
