from django.urls import path

from . import views

app_name = "groups"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("new/", views.create, name="create"),
    path("invite/<str:token>/", views.invite, name="invite"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/join/", views.join, name="join"),
    path("<slug:slug>/ask/", views.request_to_join, name="request"),
    path("<slug:slug>/leave/", views.leave, name="leave"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/people/", views.people, name="people"),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/members/<int:pk>/decide/", views.decide, name="decide"),
    path("<slug:slug>/members/<int:pk>/remove/", views.remove, name="remove"),
    path(
        "<slug:slug>/members/<int:pk>/facilitator/", views.make_facilitator, name="make_facilitator"
    ),
    path("<slug:slug>/members/step-down/", views.step_down, name="step_down"),
    path("<slug:slug>/invites/new/", views.invite_create, name="invite_create"),
    path("<slug:slug>/invites/<int:pk>/revoke/", views.invite_revoke, name="invite_revoke"),
]
