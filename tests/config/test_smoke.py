def test_home_renders_for_a_visitor(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"have to do this on your own" in response.content


def test_healthz(client, db):
    assert client.get("/healthz").content == b"ok"
