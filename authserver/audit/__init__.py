"""Audit events: who did what, when, from where."""
