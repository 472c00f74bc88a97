"""HEAD on the residents' pages answers as GET does (link checkers, uptime probes and some
messaging apps' previews send HEAD first), with no body."""

import pytest

from issues import public

pytestmark = pytest.mark.usefixtures("fresh_public_counters")


def public_addresses(world, issue):
    token = public.status_token(issue.code)
    return [
        "/public/",
        "/public/?q=西区",
        f"/public/?town={world.town1.pk}",
        "/public/lookup/",
        f"/public/status/{token}/",
        "/public/status/not-a-signed-token/",
        f"/public/villages/{world.village_a.pk}/",
        f"/public/villages/{world.village_a.pk}/card/",
        "/public/villages/999999/",
        "/public/statistics/",
        "/public/rate/",
    ]


def test_head_answers_every_public_page_as_get_does(world, register, client):
    issue = register(world)
    for address in public_addresses(world, issue):
        got = client.get(address)
        head = client.head(address)
        assert head.status_code == got.status_code, address
        assert head.content == b"", address
        if got.status_code == 200:
            assert head["Content-Type"] == got["Content-Type"], address
    # The pages a resident opens answer 200, HEAD included; the rating form only takes POST.
    assert client.head("/public/").status_code == 200
    assert client.head(f"/public/status/{public.status_token(issue.code)}/").status_code == 200
    assert client.head(f"/public/villages/{world.village_a.pk}/card/").status_code == 200
    assert client.head("/public/statistics/").status_code == 200
    assert client.head("/public/rate/").status_code == 405
