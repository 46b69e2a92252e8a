"""Settings for the Channels tutorial chat app (the baseline most Channels apps look like).

Same daphne, same Redis and the same channel layer backend as Village; no database use.
"""

import os

SECRET_KEY = "bench-tutorial-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["daphne", "channels"]
ASGI_APPLICATION = "bench.tutorial.asgi.application"
DATABASES = {}
USE_TZ = True
_layer = os.environ.get("BENCH_LAYER", "core")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer"
        if _layer == "pubsub"
        else "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "prefix": "bench-tutorial"},
    }
}
