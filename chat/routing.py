from django.urls import path

from .consumers import ChatConsumer

websocket_urlpatterns: list = [
    path("ws/groups/<slug:slug>/chat/", ChatConsumer.as_asgi()),
]
