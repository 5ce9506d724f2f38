"""Apps that register themselves: RFC 7591/7592 and client ID metadata documents (policy, validation)."""
