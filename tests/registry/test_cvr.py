"""The CVR look-up behind one adapter: the recorded provider (tests/registry/cvr/), the Virk
provider against a stand-in server on this machine, and the forms that use it."""

import base64
import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from pulje.registry.cvr import (
    CvrLookupError,
    CvrRecord,
    NoCvrLookup,
    RecordedCvrLookup,
    VirkCvrLookup,
    lookup_cvr,
)
from tests.factories import UserFactory

RECORDINGS = Path(__file__).parent / "cvr"
ASSOCIATION = "12700032"  # recorded: a "Frivillig forening"
HOUSING = "12700067"  # recorded: a "Forening med begrænset ansvar"
NO_HITS = "12700091"  # recorded: the service's answer for a number it does not have
UNRECORDED = "12700121"

GELLERUP = CvrRecord(
    cvr=ASSOCIATION,
    name="Gellerup Kulturforening",
    address="Gudrunsvej 12",
    postal_code="8220",
    city="Brabrand",
    municipality_code="751",
    company_form="Frivillig forening",
    kind="association",
)


def test_the_recorded_provider_finds_a_recorded_number() -> None:
    assert RecordedCvrLookup().lookup(ASSOCIATION) == GELLERUP


def test_a_company_form_that_says_nothing_certain_gives_no_kind() -> None:
    record = RecordedCvrLookup().lookup(HOUSING)

    assert record is not None
    assert (record.name, record.municipality_code, record.company_form, record.kind) == (
        "Boligforeningen Østergården",
        "461",
        "Forening med begrænset ansvar",
        None,
    )


@pytest.mark.parametrize("cvr", [NO_HITS, UNRECORDED])
def test_the_recorded_provider_finds_nothing_for_a_number_the_register_lacks(cvr: str) -> None:
    assert RecordedCvrLookup().lookup(cvr) is None


def test_the_default_provider_finds_nothing(settings: Settings) -> None:
    settings.CVR_LOOKUP = "pulje.registry.cvr.NoCvrLookup"

    assert NoCvrLookup().lookup(ASSOCIATION) is None
    assert lookup_cvr(ASSOCIATION) is None


class _Recorded(BaseHTTPRequestHandler):
    """Answers as Virk's service would, from the recordings; keeps what it was asked."""

    asked: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.asked.append(
            {"path": self.path, "authorization": self.headers["Authorization"], "body": body}
        )
        cvr = str(body["query"]["term"]["Vrvirksomhed.cvrNummer"])
        path = RECORDINGS / f"{cvr}.json"
        answer = (
            path.read_bytes() if path.exists() else (RECORDINGS / f"{NO_HITS}.json").read_bytes()
        )
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer if self.status == 200 else b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def virk(settings: Settings) -> Iterator[type[_Recorded]]:
    """A stand-in for Virk's service on this machine, and the settings that point at it."""
    handler = type("Handler", (_Recorded,), {"asked": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CVR_LOOKUP = "pulje.registry.cvr.VirkCvrLookup"
    settings.CVR_VIRK_URL = (
        f"http://127.0.0.1:{server.server_port}/cvr-permanent/virksomhed/_search"
    )
    settings.CVR_VIRK_USER = "pulje"
    settings.CVR_VIRK_PASSWORD = "hemmelig"
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


def test_the_virk_provider_asks_for_the_number_with_its_credentials(
    virk: type[_Recorded],
) -> None:
    assert VirkCvrLookup().lookup(ASSOCIATION) == GELLERUP
    assert VirkCvrLookup().lookup(UNRECORDED) is None

    assert virk.asked[0] == {
        "path": "/cvr-permanent/virksomhed/_search",
        "authorization": "Basic " + base64.b64encode(b"pulje:hemmelig").decode(),
        "body": {
            "_source": ["Vrvirksomhed.cvrNummer", "Vrvirksomhed.virksomhedMetadata"],
            "query": {"term": {"Vrvirksomhed.cvrNummer": int(ASSOCIATION)}},
            "size": 1,
        },
    }


def test_an_error_status_is_no_answer(virk: type[_Recorded]) -> None:
    virk.status = 500

    with pytest.raises(CvrLookupError):
        VirkCvrLookup().lookup(ASSOCIATION)


@pytest.fixture
def silent(settings: Settings) -> Iterator[None]:
    """A server that takes the connection and never answers, and a short time-out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    settings.CVR_LOOKUP = "pulje.registry.cvr.VirkCvrLookup"
    settings.CVR_VIRK_URL = f"http://127.0.0.1:{listener.getsockname()[1]}/_search"
    settings.CVR_LOOKUP_TIMEOUT = 0.2
    try:
        yield
    finally:
        listener.close()


def test_a_time_out_is_no_answer_and_the_look_up_carries_on(
    silent: None, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(CvrLookupError):
        VirkCvrLookup().lookup(ASSOCIATION)

    with caplog.at_level(logging.WARNING, logger="pulje.registry.cvr"):
        assert lookup_cvr(ASSOCIATION) is None
    assert caplog.messages == [f"CVR look-up of {ASSOCIATION} failed"]


def test_only_an_http_address_is_asked(settings: Settings) -> None:
    settings.CVR_VIRK_URL = "file:///etc/passwd"

    with pytest.raises(ImproperlyConfigured):
        VirkCvrLookup()


def _lookup(client: Client, cvr: str) -> Any:
    return client.get(reverse("registry:cvr_lookup"), {"cvr": cvr}).json()


@pytest.mark.django_db
def test_the_form_look_up_gives_the_name_and_kind(client: Client) -> None:
    client.force_login(UserFactory())

    assert _lookup(client, "1270 0032") == {
        "name": "Gellerup Kulturforening",
        "kind": "association",
    }
    assert _lookup(client, HOUSING) == {"name": "Boligforeningen Østergården", "kind": None}
    assert _lookup(client, UNRECORDED) == {}
    assert _lookup(client, "12345675") == {}


@pytest.mark.django_db
def test_the_form_look_up_answers_nothing_when_the_provider_times_out(
    client: Client, silent: None
) -> None:
    client.force_login(UserFactory())

    assert _lookup(client, ASSOCIATION) == {}


@pytest.mark.django_db
def test_registration_fills_in_what_the_register_says(english: Client) -> None:
    english.force_login(UserFactory())

    response = english.post(reverse("registry:onboarding"), {"cvr": ASSOCIATION})

    assert response.context["form"].initial == {
        "cvr": ASSOCIATION,
        "name": "Gellerup Kulturforening",
        "address": "Gudrunsvej 12",
        "postal_code": "8220",
        "city": "Brabrand",
        "kind": "association",
    }
    page = response.content.decode()
    assert 'value="Gellerup Kulturforening"' in page
    assert 'value="association" class="form-radio" required id="id_kind_1" checked' in page


@pytest.mark.django_db
def test_registration_works_without_the_register(english: Client, silent: None) -> None:
    english.force_login(UserFactory())

    response = english.post(reverse("registry:onboarding"), {"cvr": ASSOCIATION})

    assert response.status_code == 200
    assert response.context["form"].initial == {"cvr": ASSOCIATION}


def test_an_answer_is_kept_so_the_provider_is_asked_once(virk: type[_Recorded]) -> None:
    assert lookup_cvr(ASSOCIATION) == GELLERUP
    assert lookup_cvr(ASSOCIATION) == GELLERUP
    assert lookup_cvr(UNRECORDED) is None
    assert lookup_cvr(UNRECORDED) is None

    asked = [entry["body"]["query"]["term"]["Vrvirksomhed.cvrNummer"] for entry in virk.asked]
    assert asked == [int(ASSOCIATION), int(UNRECORDED)]


def test_a_provider_that_could_not_answer_is_asked_again(virk: type[_Recorded]) -> None:
    virk.status = 500
    assert lookup_cvr(ASSOCIATION) is None

    virk.status = 200
    assert lookup_cvr(ASSOCIATION) == GELLERUP
    assert len(virk.asked) == 2


@pytest.mark.django_db
def test_a_person_may_look_up_so_many_numbers_an_hour(
    client: Client, virk: type[_Recorded], settings: Settings
) -> None:
    settings.CVR_LOOKUPS_PER_HOUR = 2
    client.force_login(UserFactory())
    others = Client()
    others.force_login(UserFactory())

    assert _lookup(client, ASSOCIATION)["name"] == "Gellerup Kulturforening"
    assert _lookup(client, HOUSING)["name"] == "Boligforeningen Østergården"
    refused = client.get(reverse("registry:cvr_lookup"), {"cvr": ASSOCIATION})

    assert (refused.status_code, refused.json()) == (429, {})
    assert len(virk.asked) == 2
    assert _lookup(others, ASSOCIATION)["name"] == "Gellerup Kulturforening"
