"""Scopes and the allowed-scopes policy."""
