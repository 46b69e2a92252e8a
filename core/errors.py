"""The one kind of error a service raises for a request it cannot honour."""

from __future__ import annotations


class ServiceError(Exception):
    """A request we cannot honour, with a message fit to show the member and a short `code`
    for callers and tests. Raised before anything changes (the service's transaction rolls
    back), so the caller can show `message` and keep what the member typed.

    Each app names its own subclass (`GroupError`, `ModerationError`), so a caller that
    catches one app's errors never swallows another's by accident."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code
