"""ASGI entry point: HTTP through Django, websockets through Channels.

Websockets must come from the site's own origin (`config.wsorigin`: scheme, host and port,
and a Host in ALLOWED_HOSTS), go to a path a route knows, and carry the session user
(`SocketAuthMiddleware`, which answers the handshake at once and checks the log-in after).
The user is loaded on a thread pool (not Channels' one database thread per process), so a
reconnect storm of a few thousand sockets is not queued behind a single thread.

At start-up the garbage collector is tuned (VILLAGE_GC_TUNING=0 skips it): everything
imported so far is frozen out of its way, and the young generation is collected every 10,000
allocations instead of 700 (VILLAGE_GC_THRESHOLD="10000,10,10"), so a reconnect storm is
absorbed sooner. A much higher threshold was no faster and let the process grow with
uncollected ORM garbage during a storm. The measurements are in docs/performance.md.
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from config import accesslog  # noqa: E402
from config.metrics import SocketMetrics  # noqa: E402
from config.requestid import RequestIdMiddleware  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from config.wsauth import SocketAuthMiddleware  # noqa: E402
from config.wsorigin import SameOriginValidator  # noqa: E402
from config.wsrouting import KnownPathsOnly, SocketRouter  # noqa: E402

_router = SocketRouter(websocket_urlpatterns)
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Counted first (config/metrics.py), so refusals are counted too.
        "websocket": SocketMetrics(
            SameOriginValidator(KnownPathsOnly(_router, SocketAuthMiddleware(_router)))
        ),
    }
)
# A request or socket id on every log line (config/requestid.py).
application = RequestIdMiddleware(application)

# daphne's access log goes to a stream, not through logging: mask tokens there too.
accesslog.install()

if os.environ.get("VILLAGE_GC_TUNING", "1") != "0":
    gc.collect()
    gc.freeze()
    gc.set_threshold(
        *(int(n) for n in os.environ.get("VILLAGE_GC_THRESHOLD", "10000,10,10").split(","))
    )
