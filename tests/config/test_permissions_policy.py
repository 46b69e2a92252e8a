"""Every response says which powerful browser features Village pages may use."""

import pytest

EXPECTED = "camera=(), microphone=(), geolocation=(self), payment=(), usb=()"


@pytest.mark.parametrize(
    "path",
    [
        "/",  # a page
        "/accounts/login/",  # a form
        "/no-such-page/",  # an error page
        "/groups/no-such-group/chat/",  # a page that needs logging in
    ],
)
def test_every_response_sends_the_permissions_policy(client, db, path):
    response = client.get(path)
    assert response.headers["Permissions-Policy"] == EXPECTED


def test_the_policy_is_on_logged_in_pages_too(client, user):
    client.force_login(user)
    assert client.get("/groups/").headers["Permissions-Policy"] == EXPECTED
