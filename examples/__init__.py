"""Example apps written the way a third-party developer would write them against this server."""
