"""What both apps use: configuration, caching, error shapes, logging and security helpers.

This package imports neither ``authserver`` nor ``resource``.
"""
