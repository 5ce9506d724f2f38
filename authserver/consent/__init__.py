"""Remembered consent as data, the consent page and the connected-apps page."""
