"""Authorization codes, access and refresh tokens (as digests), rotation families, signing keys."""
