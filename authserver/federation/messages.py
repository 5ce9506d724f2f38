"""What people read when an upstream sign-in does not work out, and what to do about it."""

from __future__ import annotations

FAILURES = {
    "state": (
        "This sign-in link has expired",
        "We didn't start this sign-in from this browser, or it took too long. Start again from the sign-in page.",
    ),
    "cancelled": (
        "Sign-in cancelled",
        "You cancelled signing in with {provider}. Go back to sign in another way, or to decline the app's request.",
    ),
    "unavailable": (
        "{provider} is not responding",
        "We couldn't reach {provider} just now. Try again in a moment, or sign in another way.",
    ),
    "upstream_error": (
        "{provider} couldn't sign you in",
        "{provider} answered with an error. Try again, or sign in another way.",
    ),
    "invalid_id_token": (
        "{provider}'s answer couldn't be verified",
        "The sign-in answer from {provider} failed our security checks, so we didn't use it. Try again or sign in another way.",
    ),
    "email_taken": (
        "An account with this email already exists",
        "{provider} didn't confirm that this email address belongs to you, so we won't link them automatically. "
        "Sign in to your existing account the way you did before, then link {provider} from your account page.",
    ),
    "no_email": (
        "We need an email address",
        "{provider} didn't share an email address with us. Make one available at {provider} and try again, or sign in another way.",
    ),
    "misconfigured": (
        "Signing in with {provider} is not available",
        "This sign-in option is not set up correctly. Please sign in another way and tell the administrator.",
    ),
    "disabled": ("This account is disabled", "Contact the administrator if you think this is a mistake."),
    "linked_elsewhere": (
        "Already linked to another account",
        "This {provider} account is already linked to a different account here. Sign in with it, or unlink it there first.",
    ),
    "session_changed": (
        "You were signed out",
        "Your session changed while you were at {provider}. Sign in again and retry linking.",
    ),
}

OUTCOMES = {
    "link_expired": (
        "Nothing to link",
        "There is no pending sign-in to link, or it took too long. Start again from the sign-in page.",
    ),
}
