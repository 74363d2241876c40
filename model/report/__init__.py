"""Report: figures and summary pages built from an experiment's tidy tables."""
