"""People: local accounts, passwords, sign-in and the account page."""
