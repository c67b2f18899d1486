"""Looking an organisation up in the CVR register, behind one interface (docs/cvr.md).

``settings.CVR_LOOKUP`` names the provider by dotted path: a class made without arguments
whose ``lookup(cvr)`` returns a ``CvrRecord`` or None. The default, ``NoCvrLookup``, finds
nothing, so nothing is fetched from outside unless pulje is set up to: ``VirkCvrLookup``
asks Erhvervsstyrelsen's public CVR data service (Virk's "System-til-system" Elasticsearch
API, with the credentials it hands out); ``RecordedCvrLookup`` answers from recorded
responses of that service (the tests and the demo).

Pages ask ``lookup_cvr``, which never fails: a provider that times out or answers nonsense
is logged and treated as one that does not know the number, so a form that offers the name
works as well without it. Its answers, a record or "not in the register", are kept in the
cache for ``CVR_LOOKUP_CACHE_SECONDS``, so a form that asks again does not ask the provider
again; a provider that could not answer is asked again next time.
"""

import base64
import json
import logging
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from pulje.registry.models import OrganisationKind

logger = logging.getLogger(__name__)

# The register's company forms (virksomhedsformkode) that say what kind of organisation it
# is: 110 "Forening", 115 "Frivillig forening". The others (a housing organisation is
# often a "Forening med begrænset ansvar", as many other bodies are) say nothing certain.
KIND_BY_COMPANY_FORM = {
    110: OrganisationKind.ASSOCIATION,
    115: OrganisationKind.ASSOCIATION,
}


@dataclass(frozen=True)
class CvrRecord:
    """What the register says of one CVR number."""

    cvr: str
    name: str
    address: str = ""
    postal_code: str = ""
    city: str = ""
    municipality_code: str = ""  # three digits, as pulje's municipalities are keyed
    company_form: str = ""  # the register's own words, e.g. "Frivillig forening"
    kind: str | None = None  # the OrganisationKind the company form implies, if it does


class CvrLookupError(Exception):
    """The provider gave no answer: a time-out, a refused connection, an error status or a
    response that is not the shape it should be."""


class CvrLookup(Protocol):
    def lookup(self, cvr: str) -> CvrRecord | None:
        """The register's record of ``cvr`` (8 digits), or None when it has none.
        Raises CvrLookupError when the provider cannot answer."""


class NoCvrLookup:
    """Finds nothing: the default, for an installation without access to the register."""

    def lookup(self, cvr: str) -> CvrRecord | None:
        return None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def record_from_virk(cvr: str, body: Mapping[str, Any]) -> CvrRecord | None:
    """The record in a response of Virk's ``cvr-permanent/virksomhed/_search`` (the
    company's ``virksomhedMetadata``: its newest name, address and company form), or None
    when it has no hit for ``cvr``. Raises CvrLookupError for a body of another shape."""
    try:
        hits = body["hits"]["hits"]
        companies = [hit["_source"]["Vrvirksomhed"] for hit in hits]
    except (KeyError, TypeError) as error:
        raise CvrLookupError(f"unexpected response: {error!r}") from error
    company = next((c for c in companies if str(c.get("cvrNummer")) == cvr), None)
    if company is None:
        return None
    meta = company.get("virksomhedMetadata") or {}
    name = _text((meta.get("nyesteNavn") or {}).get("navn"))
    if not name:
        return None
    address = meta.get("nyesteBeliggenhedsadresse") or {}
    street = " ".join(
        part
        for part in (
            _text(address.get("vejnavn")),
            _text(address.get("husnummerFra")) + _text(address.get("bogstavFra")),
        )
        if part
    )
    municipality = _text((address.get("kommune") or {}).get("kommuneKode"))
    form = meta.get("nyesteVirksomhedsform") or {}
    code = form.get("virksomhedsformkode")
    return CvrRecord(
        cvr=cvr,
        name=name,
        address=street,
        postal_code=_text(address.get("postnummer")),
        city=_text(address.get("postdistrikt")),
        municipality_code=municipality.zfill(3) if municipality.isdigit() else "",
        company_form=_text(form.get("langBeskrivelse")),
        kind=KIND_BY_COMPANY_FORM.get(code) if isinstance(code, int) else None,
    )


class VirkCvrLookup:
    """Erhvervsstyrelsen's CVR data service (``settings.CVR_VIRK_URL``, with the user name
    and password of ``CVR_VIRK_USER`` and ``CVR_VIRK_PASSWORD``), asked for one company by
    its number, waiting at most ``CVR_LOOKUP_TIMEOUT`` seconds."""

    def __init__(self) -> None:
        self.url = settings.CVR_VIRK_URL
        if urllib.parse.urlsplit(self.url).scheme not in {"http", "https"}:
            raise ImproperlyConfigured("CVR_VIRK_URL must be an http or https address.")
        self.timeout = settings.CVR_LOOKUP_TIMEOUT
        credentials = f"{settings.CVR_VIRK_USER}:{settings.CVR_VIRK_PASSWORD}"
        self.authorization = "Basic " + base64.b64encode(credentials.encode()).decode()

    def lookup(self, cvr: str) -> CvrRecord | None:
        query = {
            "_source": ["Vrvirksomhed.cvrNummer", "Vrvirksomhed.virksomhedMetadata"],
            "query": {"term": {"Vrvirksomhed.cvrNummer": int(cvr)}},
            "size": 1,
        }
        # The scheme is checked when the provider is made: http or https only.
        request = urllib.request.Request(  # noqa: S310
            self.url,
            data=json.dumps(query).encode(),
            headers={"Content-Type": "application/json", "Authorization": self.authorization},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = json.load(response)
        except (OSError, ValueError) as error:
            # URLError, HTTPError and a time-out are OSErrors; bad JSON is a ValueError.
            raise CvrLookupError(f"{self.url}: {error}") from error
        return record_from_virk(cvr, body)


class RecordedCvrLookup:
    """Answers from recorded responses of Virk's service: ``<cvr>.json`` in
    ``settings.CVR_RECORDINGS`` is the body it gave for that number; a number without a
    file is one the register does not have."""

    def __init__(self) -> None:
        self.directory = Path(settings.CVR_RECORDINGS)

    def lookup(self, cvr: str) -> CvrRecord | None:
        path = self.directory / f"{cvr}.json"
        if not cvr.isdigit() or not path.is_file():
            return None
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CvrLookupError(f"{path}: {error}") from error
        return record_from_virk(cvr, body)


def cvr_lookup() -> CvrLookup:
    """The provider ``settings.CVR_LOOKUP`` names."""
    provider: CvrLookup = import_string(settings.CVR_LOOKUP)()
    return provider


# What the cache keeps for a number the provider does not know (None is the cache's "missing").
_NOT_IN_REGISTER = "not-in-register"


def lookup_cvr(cvr: str) -> CvrRecord | None:
    """The register's record of ``cvr``, or None when the provider does not know it or
    cannot answer now (logged): a form offers what it finds and works without it."""
    key = f"cvr-lookup:{settings.CVR_LOOKUP}:{cvr}"
    kept = cache.get(key)
    if isinstance(kept, CvrRecord):
        return kept
    if kept == _NOT_IN_REGISTER:
        return None
    try:
        record = cvr_lookup().lookup(cvr)
    except CvrLookupError:
        logger.warning("CVR look-up of %s failed", cvr, exc_info=True)
        return None
    cache.set(key, record or _NOT_IN_REGISTER, settings.CVR_LOOKUP_CACHE_SECONDS)
    return record
