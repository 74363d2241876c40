"""The parameter registry: every behavioural and population parameter with its metadata."""

from model.params.registry import ParamSpec, default_params, load_registry

__all__ = ["ParamSpec", "default_params", "load_registry"]
