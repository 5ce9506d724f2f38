"""The Flask class both apps are made of: Flask, less work it repeats on every request for nothing."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask


class App(Flask):
    """``ensure_sync`` is Flask's documented hook for how views and hooks are called. Flask's own asks
    ``inspect.iscoroutinefunction`` of every view and every before/after/teardown hook on every
    request (seven times per token request, about 1 us each); none of them changes, so the answer
    is kept per function."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync_functions: dict[Callable, Callable] = {}

    def ensure_sync(self, func: Callable) -> Callable:
        try:
            return self._sync_functions[func]
        except KeyError:
            sync = self._sync_functions[func] = super().ensure_sync(func)
            return sync
        except TypeError:  # an unhashable callable: asked each time, as Flask does
            return super().ensure_sync(func)
