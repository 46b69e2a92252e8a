def test_403_page_is_warm_and_offers_a_way_on(client, member, group):
    client.force_login(member)
    response = client.get(f"/groups/{group.slug}/members/")
    assert response.status_code == 403
    assert b"This page isn&#x27;t open to you" in response.content or b"isn't open to you" in (
        response.content
    )
    assert b"Find a group" in response.content


def test_404_page_is_kind(client, db):
    response = client.get("/groups/no-such-group-here/")
    assert response.status_code == 404
    assert b"find that page" in response.content
