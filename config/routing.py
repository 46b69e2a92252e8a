"""All websocket routes. Each app owns its own list in <app>/routing.py."""

from chat.routing import websocket_urlpatterns as chat_ws
from moderation.routing import websocket_urlpatterns as moderation_ws
from notifications.routing import websocket_urlpatterns as notifications_ws

websocket_urlpatterns = [*chat_ws, *notifications_ws, *moderation_ws]
