"""API usage metered by the resource server, reported over HTTP and read by the CLI and portal."""
