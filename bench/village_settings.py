"""Village's own settings, with the channel layer chosen by the benchmark (BENCH_LAYER).

BENCH_LAYER=settings keeps config/settings/base.py as it is (room broadcasts on the pub/sub "rooms"
layer, everything else on RedisChannelLayer); "core" / "pubsub" put everything on one layer of
that backend, and BENCH_LAYER_CONFIG (JSON) overrides its CONFIG keys. This is how the layer and its
settings were chosen by measurement (docs/performance.md).
"""

import json
import os

from config.settings import *  # noqa: F403
from config.settings import CHANNEL_LAYERS, REDIS_PREFIX, REDIS_URL

_layer = os.environ.get("BENCH_LAYER", "settings")
if _layer in ("core", "pubsub"):
    _config = {"hosts": [REDIS_URL], "prefix": f"{REDIS_PREFIX}:asgi"}
    _config.update(json.loads(os.environ.get("BENCH_LAYER_CONFIG", "{}")))
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer"
            if _layer == "pubsub"
            else "channels_redis.core.RedisChannelLayer",
            "CONFIG": _config,
        }
    }
