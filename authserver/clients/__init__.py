"""Registered client applications: the model, secret handling and registration services."""
