"""The authentication backends: Django's and allauth's, with one addition. Loading the
session's member also reads the current terms version in the same query (a subquery), so the
terms check (accounts.middleware.TermsMiddleware) costs no query on a page."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from .models import User
from .selectors import current_terms_subquery


def _get_user(backend, user_id):
    try:
        user = User._default_manager.annotate(current_terms_version=current_terms_subquery()).get(
            pk=user_id
        )
    except User.DoesNotExist:
        return None
    return user if backend.user_can_authenticate(user) else None


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)
