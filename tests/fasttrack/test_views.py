"""The fast track's page on the call's set-up: set a band's largest automatic grant in
kroner, pause and resume, and see what was sent to a caseworker and why."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pulje.core.money import kr
from pulje.fasttrack.models import FastTrack
from pulje.fasttrack.services import settle_fast_track
from tests.factories.fasttrack import Track, draft, submit


def _url(track: Track) -> str:
    return reverse("fasttrack:settings", kwargs={"code": track.funded.call.code})


@pytest.fixture
def caseworker(client: Client, track: Track) -> Client:
    client.force_login(track.funded.caseworker)
    return client


def test_a_band_is_put_on_the_fast_track_with_an_amount_in_kroner(
    caseworker: Client, track: Track
) -> None:
    band = track.funded.bands[1]
    response = caseworker.post(
        _url(track), {"band": str(band.pk), f"band-{band.pk}-max_amount": "60.000,50"}
    )

    assert response.status_code == 302
    assert FastTrack.objects.get(band=band).max_amount_ore == kr(60_000) + 50


def test_an_amount_outside_the_band_is_refused_on_the_page(
    caseworker: Client, track: Track
) -> None:
    band = track.funded.bands[0]
    response = caseworker.post(
        _url(track), {"band": str(band.pk), f"band-{band.pk}-max_amount": "60.000"}
    )

    assert response.status_code == 200
    forms = {row.band.pk: form for row, form in response.context["rows"]}
    assert forms[band.pk].errors["max_amount"] == [
        "Det største automatiske tilskud skal ligge inden for beløbsrammens 10.000 kr. til "
        "49.999 kr."
    ]
    assert FastTrack.objects.get(band=band).max_amount_ore == kr(15_000)


def test_the_secretariat_pauses_and_resumes_the_fast_track(
    caseworker: Client, track: Track
) -> None:
    pause = reverse(
        "fasttrack:pause", kwargs={"code": track.funded.call.code, "pk": track.fast_track.pk}
    )
    assert caseworker.post(pause, {"paused": "1"}).status_code == 302
    track.fast_track.refresh_from_db()
    assert track.fast_track.paused
    page = caseworker.get(_url(track)).content.decode()
    assert 'data-state="paused"' in page

    caseworker.post(pause, {"paused": "0"})
    track.fast_track.refresh_from_db()
    assert not track.fast_track.paused


def test_the_page_shows_what_went_to_a_caseworker_and_why_in_a_fixed_number_of_queries(
    caseworker: Client, track: Track
) -> None:
    submit(track, draft(track, 20_000, "Stort"))
    settle_fast_track(band_id=track.fast_track.band_id)
    caseworker.get(_url(track))  # the session's first save is not the page's
    with CaptureQueriesContext(connection) as one:
        page = caseworker.get(_url(track)).content.decode()
    assert "Ansøgningen søger 20.000 kr., mere end hurtigsporet bevilger (15.000 kr.)." in page

    for n in range(2):
        submit(track, draft(track, 30_000, f"Også stort {n}"))
    settle_fast_track(band_id=track.fast_track.band_id)
    with CaptureQueriesContext(connection) as three:
        page = caseworker.get(_url(track)).content.decode()
    assert page.count("data-unsettled=") == 3
    assert len(three) == len(one)


def test_only_the_calls_secretariat_sees_the_fast_track(client: Client, track: Track) -> None:
    client.force_login(track.funded.applicant.user)
    assert client.get(_url(track)).status_code == 404
    pause = reverse(
        "fasttrack:pause", kwargs={"code": track.funded.call.code, "pk": track.fast_track.pk}
    )
    assert client.post(pause, {"paused": "1"}).status_code == 404
    track.fast_track.refresh_from_db()
    assert not track.fast_track.paused
