import factory
from django.utils import timezone

from accounts.models import User
from groups.models import Group, Membership

#: `UserFactory(quiet_hours=DEFAULT)`: the quiet hours a new member gets (21:00-08:00).
DEFAULT = "default"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    display_name = factory.Sequence(lambda n: f"Member {n}")
    password = factory.PostGenerationMethodCall("set_password", "village-test")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def quiet_hours(obj, create, extracted, **kwargs):
        """Test members have quiet hours off, so a test's emails don't depend on the hour it
        runs at. `quiet_hours=DEFAULT` gives the site default (no row, 21:00-08:00); a
        (start, end) pair of times, those hours."""
        if not create:
            return
        from notifications.models import QuietHours

        if extracted == DEFAULT:
            return
        if extracted:
            start, end = extracted
            QuietHours.objects.create(user=obj, enabled=True, start=start, end=end)
        else:
            QuietHours.objects.create(user=obj, enabled=False)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"Parents group {n}")
    slug = factory.Sequence(lambda n: f"parents-group-{n}")
    description = "A friendly group for parents."
    area = "Dudley"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    group = factory.SubFactory(GroupFactory)
    role = Membership.Role.MEMBER
    status = Membership.Status.ACTIVE
    joined_at = factory.LazyFunction(timezone.now)


def login_session(user) -> str:
    """A real logged-in session of `user`, as a browser gets on log-in; its key (what
    config.wsauth puts in a socket's scope)."""
    from django.conf import settings
    from django.test import Client as HttpClient

    client = HttpClient()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class LoggedInCommunicator:
    """Channels' WebsocketCommunicator for `user`, with a real log-in session in its scope
    (made on connect, off the event loop), as config.wsauth would pass it."""

    def __new__(cls, app, path, user, **kwargs):
        from channels.db import database_sync_to_async
        from channels.testing import WebsocketCommunicator

        class _Comm(WebsocketCommunicator):
            async def connect(self, timeout=1):
                u = self.scope.get("user")
                if "session_key" not in self.scope and getattr(u, "is_authenticated", False):
                    self.scope["session_key"] = await database_sync_to_async(login_session)(u)
                return await super().connect(timeout)

        comm = _Comm(app, path, **kwargs)
        comm.scope["user"] = user
        return comm
