from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("", views.index, name="index"),
    path("services/<uuid:uuid>/", views.service, name="service"),
    path("services/<uuid:uuid>/ask/", views.referral_ask, name="ask"),
    path("services/<uuid:uuid>/offer/", views.referral_offer, name="offer"),
    path("services/<uuid:uuid>/contact/", views.referral_contact, name="referral_contact"),
    path("services/<uuid:uuid>/edit/", views.local_edit, name="local_edit"),
    path("groups/<slug:slug>/new/", views.local_new, name="local_new"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<uuid:uuid>/", views.approve, name="approve"),
    path("referrals/", views.referrals, name="referrals"),
    path("referrals/<int:pk>/", views.referral, name="referral"),
    path("referrals/<int:pk>/withdraw/", views.referral_withdraw, name="withdraw"),
    # The service's personal link (the token is masked in logs: config/logfilters.py).
    path("answer/<str:token>/", views.answer, name="answer"),
]
