"""What the authorization server revoked, as this process knows it: applied to every token it
accepts, whether its description came from the introspection cache or from a JWT validated here.

``Revocations.check(digest, info)`` is the one check both paths call, after a token was found
valid: ``None`` when the token is revoked, else ``info`` less any scope withdrawn since it was
issued. It costs a set lookup per request (and, while match rules exist, a few dict lookups,
remembered per token until the rules change); it never calls anyone.

Events arrive from ``resource.revocation_feed`` (the authorization server's feed, or Redis), in the
shapes ``authserver.tokens.revocations`` describes: digests of revoked access tokens, kept until
their ``exp``; and match rules (a client, a person, a scope), kept until ``until``, that revoke
every token issued (``iat``) at or before ``issued_before`` whose claims match. A token without an
``iat`` matches: when it was issued is unknown.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from resource.auth import TokenInfo

log = logging.getLogger(__name__)

# The claims a match rule may name; "scope" withdraws that scope only.
MATCH_FIELDS = frozenset({"client_id", "sub", "scope"})
_MEMO = "revocations"


@dataclass(frozen=True)
class _Rules:
    """Match rules, replaced whole on each change, so a request reads one consistent set."""

    version: int = 0
    # For each set of named fields (sorted), the rules by their values: (issued_before, until).
    revoke: dict[tuple[str, ...], dict[tuple[str, ...], tuple[int, float]]] = field(default_factory=dict)
    # The same for rules naming a scope, keyed by the other fields' values and the scope.
    withdraw: dict[tuple[str, ...], dict[tuple[str, ...], tuple[int, float]]] = field(default_factory=dict)


class Revocations:
    def __init__(self) -> None:
        # Digest -> exp; read by request threads, written by the feed's thread only (pruned by swapping).
        self._tokens: dict[str, float] = {}
        self._rules = _Rules()
        self._lock = threading.Lock()
        # Called with the digests of each token event (the introspection cache refuses them at once).
        self.on_tokens: list[Callable[[list[str]], None]] = []

    def start(self) -> None:
        """Replaced by the feed's ``start``: reading the feed begins with the first token checked."""

    def check(self, digest: str, info: TokenInfo) -> TokenInfo | None:
        """``info`` as it stands after what was revoked: None for a revoked token, else ``info`` (or a
        copy without the scopes withdrawn since it was issued). ``digest``: SHA-256 hex of the token."""
        self.start()
        if digest in self._tokens:
            return None
        rules = self._rules
        if not (rules.revoke or rules.withdraw):
            return info
        memo = info.derived.get(_MEMO)
        if memo is not None and memo[0] == rules.version:
            return memo[1]
        result = _after(rules, info)
        info.derived[_MEMO] = (rules.version, result)
        return result

    def apply(self, event: dict, tell: bool = True) -> bool:
        """Take one event of the feed; False (and a log line) for one this version cannot read.
        ``tell``: call ``on_tokens`` (not for the events a process reads when it starts: whatever it
        could tell, the processes running at the time were told)."""
        try:
            if "tokens" in event:
                self._revoke_tokens(event["tokens"], tell)
            else:
                self._add_rule(event["match"], event["issued_before"], event["until"])
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("revocation event %r ignored: %s", event.get("id") if isinstance(event, dict) else None, exc)
            return False
        return True

    def prune(self) -> None:
        """Forget what covers no live token any more (run by the feed's thread now and then)."""
        now = time.time()
        if any(exp <= now for exp in self._tokens.values()):
            self._tokens = {digest: exp for digest, exp in self._tokens.items() if exp > now}
        with self._lock:
            rules = self._rules
            revoke = _unexpired(rules.revoke, now)
            withdraw = _unexpired(rules.withdraw, now)
            if (revoke, withdraw) != (rules.revoke, rules.withdraw):
                # The version only grows: an answer remembered under an old one is never taken for current.
                self._rules = _Rules(rules.version + 1, revoke, withdraw)

    def _revoke_tokens(self, tokens, tell: bool) -> None:
        now = time.time()
        entries = [(str(entry["digest"]), float(entry["exp"])) for entry in tokens]
        live = [digest for digest, exp in entries if exp > now]
        for digest, exp in entries:
            if exp > now:
                self._tokens[digest] = exp
        for listener in self.on_tokens if tell else ():
            listener(live)

    def _add_rule(self, match: dict, issued_before, until) -> None:
        if not isinstance(match, dict) or not match or not MATCH_FIELDS.issuperset(match):
            raise ValueError(f"a match of {sorted(match) if isinstance(match, dict) else match!r}")
        if not all(isinstance(value, str) for value in match.values()):
            raise ValueError("a match value that is no string")
        if isinstance(issued_before, bool) or not isinstance(issued_before, int) or float(until) <= time.time():
            return
        names = tuple(sorted(match))
        values = tuple(match[name] for name in names)
        with self._lock:
            rules = self._rules
            table = rules.withdraw if "scope" in match else rules.revoke
            known = table.get(names, {}).get(values, (issued_before, float(until)))
            entry = (max(issued_before, known[0]), max(float(until), known[1]))
            table = {**table, names: {**table.get(names, {}), values: entry}}
            if "scope" in match:
                self._rules = _Rules(rules.version + 1, rules.revoke, table)
            else:
                self._rules = _Rules(rules.version + 1, table, rules.withdraw)


def _after(rules: _Rules, info: TokenInfo) -> TokenInfo | None:
    iat = info.claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, (int, float)):
        iat = None
    claims = {"client_id": info.client_id, "sub": info.sub}

    def covered(entry) -> bool:
        return entry is not None and (iat is None or iat <= entry[0])

    for names, table in rules.revoke.items():
        if covered(table.get(tuple(claims.get(name) for name in names))):
            return None
    withdrawn = set()
    for names, table in rules.withdraw.items():
        for scope in info.scopes:
            if covered(table.get(tuple(scope if name == "scope" else claims.get(name) for name in names))):
                withdrawn.add(scope)
    if not withdrawn:
        return info
    return TokenInfo.from_claims({**info.claims, "scope": " ".join(sorted(info.scopes - withdrawn))})


def _unexpired(tables: dict, now: float) -> dict:
    kept = {}
    for names, table in tables.items():
        live = {values: entry for values, entry in table.items() if entry[1] > now}
        if live:
            kept[names] = live
    return kept
