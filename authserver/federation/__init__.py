"""Upstream identity providers: one module per provider type over a shared base."""
