from django.urls import path

from .consumers import ChatConsumer

websocket_urlpatterns: list = [
    path("ws/groups/<slug:slug>/chat/", ChatConsumer.as_asgi()),
    # A private check-in runs on the same consumer; only its permission check differs.
    path("ws/checkins/<int:checkin>/", ChatConsumer.as_asgi()),
]
