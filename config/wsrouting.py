"""The outermost websocket router: an unknown path is closed like an HTTP 404, not a crash.

Channels' URLRouter raises ValueError("No route found for path ...") for a path none of its
routes match (a mistyped or non-ASCII group slug, an old bookmark), which the server reports as
an application error with a traceback and the full path. Here the handshake is refused
instead, and the note says only that no route matched: the path may carry a secret.
"""

from __future__ import annotations

import logging

from channels.routing import URLRouter
from channels.security.websocket import WebsocketDenier

logger = logging.getLogger(__name__)


class SocketRouter(URLRouter):
    def matches(self, scope) -> bool:
        path = scope.get("path")
        if not isinstance(path, str):
            return False
        root_path = scope.get("root_path", "")
        if root_path:
            if not path.startswith(root_path):
                return False
            path = path[len(root_path) :]
        path = path.lstrip("/")
        return any(route.pattern.match(path) for route in self.routes)

    async def __call__(self, scope, receive, send):
        if "path_remaining" not in scope and not self.matches(scope):
            logger.info("websocket refused: no route for this path")
            return await WebsocketDenier()(scope, receive, send)
        return await super().__call__(scope, receive, send)


class KnownPathsOnly:
    """Refuse a path `router` does not know before anything else runs (in particular before
    the handshake is answered by config.wsauth), like an HTTP 404."""

    def __init__(self, router: SocketRouter, inner):
        self.router = router
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if not self.router.matches(scope):
            logger.info("websocket refused: no route for this path")
            return await WebsocketDenier()(scope, receive, send)
        return await self.inner(scope, receive, send)
