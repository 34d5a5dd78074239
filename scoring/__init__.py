"""Prêt à dépenser credit scoring: raw data contract, features, model, explanations."""

__version__ = "0.1.0"
