"""Replay a grant round through pulje's pages and count the human actions it takes.

Issue 15's proof: a round like BL's 2021 one (135 applications asking about 28.9 mio. kr. in
three bands from 80 housing organisations; partner associations partly unknown to the
registry; some budgets over the salary cap) is set up through the services, then replayed
over HTTP against a real server in this process, as the applicants', caseworker's and
assessors' browsers would: each person a session of their own that logs in through the login
pages, finds the next page by the links and forms of the page before, reads the CSRF token and
posts the form. So a path that breaks, breaks the replay.

A human action is a form submit, or a deliberate click that changes what a form will do (a
tick in the queue's list); page loads are not actions. The replay prints the actions per role
and stage, the caseworker's actions per decision from submission to decision (issue 15's
target: at most 2), the system's time per stage (server and background worker), and the
slowest page. Where a page offers a better path (a select-all control in the queue, a bulk
recommendation, a run that leaves "not recommended" out by itself), the replay takes it and
says so.

    DEBUG=1 .venv/bin/python bench/round.py                 # 135 applications, seed 2021
    DEBUG=1 .venv/bin/python bench/round.py --applications 12 --organisations 8 --seed 7
"""

import argparse
import math
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

PROJECT_DIR = Path(__file__).resolve().parent.parent
STAGES = (
    "log in",
    "apply",
    "screen",
    "assign",
    "score",
    "recommend",
    "allocate",
    "decide",
    "letters",
    "accept",
)
# The stages from submission to decision: the caseworker's actions in them are the ones per
# decision that issue 15 counts.
CASEWORK_STAGES = ("screen", "assign", "recommend", "allocate", "decide")
ROLES = ("applicant", "caseworker", "assessor")
PASSWORD = "pulje-round-2021"  # noqa: S105 - the bench's own throw-away users
TOTP_SECRET = "PULJEROUNDTOTRINPULJEROUNDTOTRIN"  # noqa: S105 - as PASSWORD
KR = 100
SALARY_CAP_KR = 34_000
# BL's three bands, in kroner, and the share of the applications in each.
BANDS = ((10_000, 49_999), (50_000, 99_999), (100_000, 1_000_000))
BAND_SHARES = (0.45, 0.25, 0.30)
PERIOD = ("2021-02-01", "2021-11-30")
# Titles different enough that screening's duplicate check (same department, nearly the same
# title) does not take two projects of one organisation for one.
THEMES = (
    "Fællesspisning",
    "Gåklub for alle aldre",
    "Værksted for unge",
    "Lektiecafé og madklub",
    "Seniorernes kaffestue",
    "Havefællesskab",
    "Sy- og reparationscafé",
    "Fredagsbio",
    "Strikkeklub",
    "Fodbold om aftenen",
    "Sangkor i beboerhuset",
    "Cykelværksted",
)
PLACES = ("i Stjerneparken", "på Rosenhøj", "ved Søen", "i Vestbyen", "på Bakken", "i Nordparken")
MONTHS = 10


class ReplayBlocked(Exception):
    """A page did not offer what a person would use next: the replay cannot go on."""


# --- pages as a browser sees them -------------------------------------------------------------


@dataclass
class Control:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    options: list[tuple[str, str, bool]] = field(default_factory=list)  # value, label, selected

    @property
    def name(self) -> str:
        return self.attrs.get("name", "")

    @property
    def kind(self) -> str:
        return self.attrs.get("type", "text" if self.tag == "input" else self.tag).lower()


@dataclass
class Form:
    action: str
    method: str
    attrs: dict[str, str]
    controls: list[Control] = field(default_factory=list)

    def names(self) -> set[str]:
        return {c.name for c in self.controls if c.name}

    def control(self, name: str) -> Control | None:
        return next((c for c in self.controls if c.name == name), None)

    def choices(self, name: str) -> list[str]:
        """The values a radio group, a checkbox group or a select offers."""
        values = []
        for c in self.controls:
            if c.name != name:
                continue
            if c.tag == "select":
                values += [value for value, _label, _selected in c.options]
            elif c.kind in ("radio", "checkbox"):
                values.append(c.attrs.get("value", "on"))
        return values

    def defaults(self) -> dict[str, list[str]]:
        """What the browser sends when the form is submitted as it stands."""
        data: dict[str, list[str]] = defaultdict(list)
        for c in self.controls:
            if not c.name or "disabled" in c.attrs:
                continue
            if c.tag == "button" or c.kind in ("submit", "button", "file", "reset"):
                continue
            if c.kind in ("checkbox", "radio"):
                if "checked" in c.attrs:
                    data[c.name].append(c.attrs.get("value", "on"))
            elif c.tag == "select":
                chosen = [v for v, _label, selected in c.options if selected]
                if not chosen and c.options and "multiple" not in c.attrs:
                    chosen = [c.options[0][0]]
                data[c.name] += chosen
            elif c.tag == "textarea":
                data[c.name].append(c.text)
            else:
                data[c.name].append(c.attrs.get("value", ""))
        return dict(data)

    def buttons(self) -> list[Control]:
        return [
            c
            for c in self.controls
            if (c.tag == "button" and c.kind == "submit")
            or (c.tag == "input" and c.kind == "submit")
        ]


@dataclass
class Link:
    href: str
    text: str
    attrs: dict[str, str]


class _Parser(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.forms: list[Form] = []
        self.links: list[Link] = []
        self.elements: list[dict[str, str]] = []
        self._form: Form | None = None
        self._text: Control | None = None  # a textarea, button or option being read
        self._select: Control | None = None
        self._link: Link | None = None

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attributes}
        if any(k.startswith("data-") for k in attrs):
            self.elements.append({"tag": tag, **attrs})
        if tag == "form":
            action = urljoin(self.url, attrs.get("action") or self.url)
            self._form = Form(action, attrs.get("method", "get").lower(), attrs)
            self.forms.append(self._form)
        elif tag == "a" and "href" in attrs:
            self._link = Link(urljoin(self.url, attrs["href"]), "", attrs)
            self.links.append(self._link)
        elif tag in ("input", "button", "textarea", "select"):
            # A control outside its form names it by the form attribute, as the browser reads it.
            owner = next(
                (f for f in self.forms if attrs.get("form") and f.attrs.get("id") == attrs["form"]),
                self._form,
            )
            if owner is None:
                return
            control = Control(tag, attrs)
            owner.controls.append(control)
            if tag in ("button", "textarea"):
                self._text = control
            if tag == "select":
                self._select = control
        elif tag == "option" and self._select is not None:
            self._select.options.append((attrs.get("value", ""), "", "selected" in attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "a":
            self._link = None
        elif tag in ("button", "textarea"):
            self._text = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.text += data if self._text.tag == "textarea" else data.strip()
        if self._link is not None:
            self._link.text += data
        if self._select is not None and self._select.options:
            value, label, selected = self._select.options[-1]
            self._select.options[-1] = (value, (label + data).strip(), selected)


@dataclass
class Page:
    url: str
    status: int
    text: str
    forms: list[Form]
    links: list[Link]
    elements: list[dict[str, str]]

    @classmethod
    def parse(cls, url: str, status: int, text: str) -> "Page":
        parser = _Parser(url)
        parser.feed(text)
        return cls(url, status, text, parser.forms, parser.links, parser.elements)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def link(self, *, href: str = "", text: str = "", attr: str = "") -> Link:
        """The first link whose address contains ``href``, whose text contains ``text`` and
        that has the attribute ``attr`` (each if given)."""
        for link in self.links:
            parts = urlsplit(link.href)
            if href and not re.search(
                href, parts.path + (f"?{parts.query}" if parts.query else "")
            ):
                continue
            if text and text.lower() not in " ".join(link.text.split()).lower():
                continue
            if attr and attr not in link.attrs:
                continue
            return link
        raise ReplayBlocked(f"{self.path}: no link {href or text or attr!r} on the page")

    def links_to(self, href: str) -> list[Link]:
        return [link for link in self.links if re.search(href, urlsplit(link.href).path)]

    def form(self, *, having: str = "", action: str = "") -> Form:
        for form in self.forms:
            if having and having not in form.names():
                continue
            if action and not re.search(action, urlsplit(form.action).path):
                continue
            return form
        raise ReplayBlocked(f"{self.path}: no form with {having or action!r} on the page")

    def has_form(self, *, having: str = "", action: str = "") -> bool:
        try:
            self.form(having=having, action=action)
        except ReplayBlocked:
            return False
        return True

    def errors(self) -> str:
        found = re.findall(
            r'class="[^"]*(?:form-error-message|error-summary)[^"]*"[^>]*>(.*?)</', self.text, re.S
        )
        return " | ".join(" ".join(re.sub("<[^>]+>", " ", f).split()) for f in found)[:600]


# --- the people and what they did ------------------------------------------------------------


@dataclass
class Hit:
    stage: str
    method: str
    url: str
    ms: float


@dataclass
class Tally:
    actions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (role, stage)
    hits: list[Hit] = field(default_factory=list)
    worker_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    notes: list[str] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)  # what the replay used, per stage

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


class Person:
    """One person's browser: their own session (cookies), address and mailbox."""

    def __init__(self, server: str, tally: Tally, role: str, email: str, number: int) -> None:
        self.server, self.tally, self.role, self.email = server, tally, role, email
        self.http = requests.Session()
        # Behind the proxy (BEHIND_PROXY=1) each person comes from an address of their own,
        # so the login rate limits per address apply to each as they would.
        self.http.headers["X-Forwarded-For"] = (
            f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
        )
        self.stage = "log in"

    def _send(self, method: str, url: str, data: Any = None) -> Page:
        response = self.http.request(method, urljoin(self.server, url), data=data, timeout=300)
        for hop in [*response.history, response]:
            self.tally.hits.append(
                Hit(
                    self.stage,
                    hop.request.method or method,
                    hop.url,
                    hop.elapsed.total_seconds() * 1000,
                )
            )
        if response.status_code >= 500:
            raise ReplayBlocked(f"{method} {response.url} answered {response.status_code}")
        return Page.parse(response.url, response.status_code, response.text)

    def get(self, url: str) -> Page:
        return self._send("GET", url)

    def click(self, link: Link) -> Page:
        """Follow a link: a page load, not an action."""
        return self.get(link.href)

    def submit(
        self,
        form: Form,
        values: Mapping[str, str | list[str]] | None = None,
        *,
        button: str = "",
        actions: int = 1,
        expect: int | tuple[int, ...] = 200,
    ) -> Page:
        """Submit ``form`` with ``values`` over what it holds, by the button whose value is
        ``button`` (or its first); counts ``actions`` for the person's role and stage."""
        data = form.defaults()
        for name, value in (values or {}).items():
            data[name] = [value] if isinstance(value, str) else list(value)
        chosen = next(
            (b for b in form.buttons() if not button or b.attrs.get("value") == button), None
        )
        if button and chosen is None:
            raise ReplayBlocked(f"{form.action}: no button {button!r}")
        if chosen is not None and chosen.name:
            data[chosen.name] = [chosen.attrs.get("value", "")]
        self.tally.actions[(self.role, self.stage)] += actions
        if form.method == "get":
            query = "&".join(f"{k}={v}" for k, vs in data.items() for v in vs)
            page = self.get(form.action.split("?")[0] + "?" + query)
        else:
            page = self._send(
                "POST", form.action, data=[(k, v) for k, vs in data.items() for v in vs]
            )
        wanted = (expect,) if isinstance(expect, int) else expect
        if page.status not in wanted:
            problem = page.errors() or page.text[:300]
            raise ReplayBlocked(
                f"POST {form.action} answered {page.status} at {page.path}: {problem}"
            )
        return page


def last_code(email: str) -> str:
    """The login code in the newest mail to ``email`` (the locmem backend, in this process)."""
    from django.core import mail

    for message in reversed(mail.outbox):
        if email in message.to:
            found = re.search(r"^\s*([A-Z0-9-]{4,})\s*$", str(message.body), re.M)
            if found:
                return found[1]
    raise ReplayBlocked(f"no login code was mailed to {email}")


def log_in_by_code(person: Person) -> Page:
    """From the front page: the login link, the address, the code from the mail."""
    person.stage = "log in"
    page = person.get("/")
    page = person.click(page.link(href=r"/konto/log-ind/$"))
    page = person.submit(page.form(having="email"), {"email": person.email})
    page = person.submit(page.form(having="code"), {"code": last_code(person.email)})
    return page


def log_in_with_password(person: Person) -> Page:
    """The staff login: password, then the code of the authenticator app."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    person.stage = "log in"
    page = person.get("/")
    page = person.click(page.link(href=r"/konto/log-ind/$"))
    page = person.click(page.link(href=r"/konto/log-ind/adgangskode/"))
    page = person.submit(
        page.form(having="password"), {"login": person.email, "password": PASSWORD}
    )
    if page.has_form(having="code"):
        code = str(format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30)))
        page = person.submit(page.form(having="code"), {"code": code})
    return page


# --- the round: made up, deterministic -------------------------------------------------------


@dataclass
class Plan:
    """One application as its applicant will write it (kroner)."""

    number: int
    organisation: int
    title: str
    amount: int
    salaries: int
    audit: int
    partner: int
    target_groups: list[str]
    participants: int
    quality: float
    uuid: str = ""


@dataclass
class Round:
    plans: list[Plan]
    organisations: int
    partners: int
    known_partners: set[int]


def make_round(*, applications: int, organisations: int, seed: int, asked_kr: int) -> Round:
    """The applications: amounts in BL's bands scaled to ``asked_kr`` (× applications / 135),
    organisations Zipf-skewed, one partner association each (a third known to the registry,
    the others repeating across applications), about one in twelve over the salary cap."""
    rng = random.Random(seed)
    counts = [round(applications * share) for share in BAND_SHARES]
    counts[0] += applications - sum(counts)
    amounts: list[int] = []
    for (low, high), count in zip(BANDS, counts, strict=True):
        for _ in range(count):
            if high > 100_000:
                value = math.exp(rng.uniform(math.log(low), math.log(high)))
            else:
                value = low + (high - low) * rng.random() ** 1.5
            amounts.append(int(value))
    target = asked_kr * applications // 135
    # Scale the big band so the round asks about the target, within its band.
    small = sum(amounts[: counts[0] + counts[1]])
    big = amounts[counts[0] + counts[1] :]
    if big and sum(big):
        factor = max(0.1, (target - small) / sum(big))
        big = [min(BANDS[2][1], max(BANDS[2][0], int(a * factor))) for a in big]
    amounts = [a // 1000 * 1000 for a in amounts[: counts[0] + counts[1]] + big]
    amounts = [max(a, low_of(a)) for a in amounts]
    rng.shuffle(amounts)
    weights = [1 / (k + 1) ** 0.5 for k in range(organisations)]
    owners = list(range(organisations)) + rng.choices(
        range(organisations), weights=weights, k=max(0, applications - organisations)
    )
    rng.shuffle(owners)
    partners = max(2, applications * 2 // 3)
    known = set(rng.sample(range(partners), partners // 3))
    groups = ["children", "adults", "elderly"]
    plans = []
    for n, amount in enumerate(amounts):
        over_cap = rng.random() < 1 / 12
        cap = SALARY_CAP_KR * MONTHS
        audit = 5_000 if amount >= 50_000 else 0
        salaries = min(int(amount * rng.uniform(0.2, 0.6)) // 1000 * 1000, cap)
        if over_cap:
            salaries = min(amount - audit - 1000, cap + 1000) if amount - audit > cap else 0
        plans.append(
            Plan(
                number=n,
                organisation=owners[n] if n < len(owners) else n % organisations,
                title=f"{THEMES[n % len(THEMES)]} {PLACES[n // len(THEMES) % len(PLACES)]}"
                f" ({n + 1})",
                amount=amount,
                salaries=salaries,
                audit=audit,
                partner=rng.randrange(partners),
                target_groups=rng.sample(groups, rng.randint(1, 3)),
                participants=rng.randint(5, 300),
                quality=rng.gauss(3.3, 0.8),
            )
        )
    return Round(plans, organisations, partners, known)


def queue_rows(page: Page) -> list[dict[str, Any]]:
    """The queue's rows: reference, the bulk form's id, the desk address, status, mean score
    (0 when none)."""
    rows = []
    for tail in page.text.split('<tr data-reference="')[1:]:
        chunk = tail.split("</tr>")[0]
        pk = re.search(r'name="applications" value="(\d+)"', chunk)
        href = re.search(r'href="(/sekretariat/ansoegning/[^"]+)"', chunk)
        cells = re.findall(r'<td class="text-align-right">\s*([^<]*)', chunk)
        score = cells[-1].strip() if len(cells) > 1 else "–"
        rows.append(
            {
                "reference": chunk.split('"')[0],
                "pk": pk[1] if pk else "",
                "href": href[1] if href else "",
                "score": float(score.replace(",", ".")) if re.fullmatch(r"[\d,.]+", score) else 0.0,
            }
        )
    return rows


def proposed(page: Page) -> set[str]:
    """The references a run's page proposes to grant."""
    return set(re.findall(r'<tr data-reference="([^"]+)" data-selected="yes"', page.text))


def low_of(amount: int) -> int:
    return next(low for low, high in BANDS if amount <= high)


def cvr_of(seed: int) -> str:
    from pulje.registry.testing import fake_cvr

    return str(fake_cvr(seed))


def set_up(the_round: Round) -> dict[str, Any]:
    """What exists before the call opens, made through the services (not counted): BL's pool
    with three bands and its 15 mio. kr., the open call with BL's salary cap, BL's caseworker
    (password and authenticator app), the housing organisations with a department and a
    member each (their profiles complete), and the associations the registry knows."""
    from allauth.mfa.totp.internal.auth import TOTP

    from common import department, funded_pool, member, open_call
    from pulje.accounts.services.users import register_user
    from pulje.casework.services import set_screening_rules
    from pulje.core.money import kr
    from pulje.registry.models import OrganisationKind
    from pulje.registry.services.memberships import add_membership
    from pulje.registry.services.organisations import register_organisation, update_organisation

    funder, pool, _bands = funded_pool(
        funder_cvr=900_001,
        funder_name="BL – Danmarks Almene Boliger",
        code="bl-runde",
        money_ore=kr(15_000_000),
        bands=[(kr(low), kr(high)) for low, high in BANDS],
        band_money_ore=kr(5_000_000),
    )
    call = open_call(
        pool,
        code="bl-runde-2021",
        reference_prefix="BL21",
        title="Lokale fællesskaber mod ensomhed",
        purpose="Lokale initiativer mod ensomhed i almene boligområder.",
        eligibility="Boligorganisationer med en forening som partner.",
    )
    set_screening_rules(actor=None, call=call, salary_cap_monthly_ore=kr(SALARY_CAP_KR))
    caseworker = register_user(
        actor=None, email="sekretariat@bl.example", name="Birgitte Sekretariat", password=PASSWORD
    )
    add_membership(actor=None, user=caseworker, organisation=funder)
    TOTP.activate(caseworker, TOTP_SECRET)
    applicants = []
    for n in range(the_round.organisations):
        organisation = register_organisation(
            actor=None,
            cvr=cvr_of(100_000 + n),
            name=f"Boligorganisation {n + 1}",
            kind=OrganisationKind.HOUSING,
            address=f"Rundevej {n + 1}",
            postal_code="8000",
            city="Aarhus C",
        )
        for k in range(max(1, sum(plan.organisation == n for plan in the_round.plans))):
            department(organisation, (n + 1) * 100 + k)
        update_organisation(
            actor=None,
            organisation=organisation,
            payment_iban="DK5000400440116243",
            contact_name=f"Ansøger {n + 1}",
            contact_email=f"ansoeger{n + 1}@bolig.example",
            contact_phone=f"70 10 {n // 100:02d} {n % 100:02d}",
            finance_phone=f"70 20 {n // 100:02d} {n % 100:02d}",
            finance_name=f"Bogholder {n + 1}",
            finance_email=f"bogholder{n + 1}@bolig.example",
        )
        applicants.append(
            member(organisation, f"ansoeger{n + 1}@bolig.example", f"Ansøger {n + 1}")
        )
    for n in sorted(the_round.known_partners):
        register_organisation(
            actor=None,
            cvr=cvr_of(500_000 + n),
            name=f"Forening {n + 1}",
            kind=OrganisationKind.ASSOCIATION,
        )
    return {"call": call, "caseworker": caseworker, "applicants": applicants}


# --- the replay, stage by stage --------------------------------------------------------------


class Replay:
    def __init__(
        self, server: str, the_round: Round, tally: Tally, seed: int, *, progress: bool
    ) -> None:
        self.server, self.round, self.tally = server, the_round, tally
        self.rng = random.Random(seed + 1)
        self.progress = progress
        self.people = 0
        self.applicants: dict[int, Person] = {}
        self.caseworker = self.person("caseworker", "sekretariat@bl.example")
        self.assessors: list[Person] = []
        self.call_code = ""
        self.not_recommended: set[str] = set()
        self.fails: Counter[str] = Counter()
        self.fail_examples: dict[str, str] = {}

    def say(self, text: str) -> None:
        if self.progress:
            print(f"[round] {text}", file=sys.stderr, flush=True)

    def person(self, role: str, email: str) -> Person:
        self.people += 1
        return Person(self.server, self.tally, role, email, self.people)

    # -- the applicants --

    def apply(self) -> None:
        for plan in self.round.plans:
            applicant = self.applicants.get(plan.organisation)
            if applicant is None:
                applicant = self.person(
                    "applicant", f"ansoeger{plan.organisation + 1}@bolig.example"
                )
                log_in_by_code(applicant)
                self.applicants[plan.organisation] = applicant
            applicant.stage = "apply"
            self.write(applicant, plan)
        self.say(f"{len(self.round.plans)} applications submitted")

    def write(self, applicant: Person, plan: Plan) -> None:
        page = applicant.get("/")
        page = applicant.click(page.link(href=r"^/opslag/$"))
        call_link = next(
            link for link in page.links_to(r"^/opslag/[\w-]+/$") if "runde" in link.href
        )
        self.call_code = urlsplit(call_link.href).path.strip("/").split("/")[-1]
        page = applicant.click(call_link)
        start = page.form(action=r"/ansoegninger/ny/")
        page = applicant.submit(start, {"another": "1"} if "another" in start.names() else None)
        form = page.form(having="title")
        departments = form.choices("departments")
        written = sum(
            p.organisation == plan.organisation and p.uuid != "" for p in self.round.plans
        )
        activities = plan.amount - plan.salaries - plan.audit
        values: dict[str, str | list[str]] = {
            "departments": [departments[min(written, len(departments) - 1)]],
            "title": plan.title,
            "summary": "Fællesskaber for beboere, der er alene, hver uge i beboerhuset.",
            "target_groups": plan.target_groups,
            "activities": "Fællesspisning, ture og værksteder hver uge året rundt.",
            "loneliness": "Vi inviterer personligt, dør til dør, med vores partnerforening.",
            "expected_participants": str(plan.participants),
            "period_start": PERIOD[0],
            "period_end": PERIOD[1],
            "partner_1_name": f"Forening {plan.partner + 1}",
            "partner_1_cvr": cvr_of(500_000 + plan.partner),
            "partner_1_kind": "association",
            "amount": f"{plan.amount}",
            "budget_salaries": f"{plan.salaries}" if plan.salaries else "",
            "budget_activities": f"{activities}",
            "budget_audit": f"{plan.audit}" if plan.audit else "",
        }
        # Saved and checked in one: "Continue" on the form.
        page = applicant.submit(form, values, button="check")
        if not page.path.endswith("/tjek/"):
            raise ReplayBlocked(f"{plan.title}: the form did not pass its check: {page.errors()}")
        if not page.has_form(action=r"/indsend/$"):
            alerts = re.findall(
                r'<div class="alert alert-(?:error|warning)".*?</div></div>', page.text, re.S
            )
            text = " ".join(re.sub("<[^>]+>", " ", " ".join(alerts)).split())
            raise ReplayBlocked(f"{page.path}: the application cannot be submitted: {text}")
        page = applicant.submit(page.form(action=r"/indsend/$"))
        found = re.search(r"/ansoegninger/([0-9a-f-]{36})/kvittering/", page.url)
        if found is None:
            raise ReplayBlocked(
                f"{plan.title}: submitting did not lead to the receipt ({page.path})"
            )
        plan.uuid = found[1]

    # -- the caseworker --

    def queue(self, task: str = "") -> Page:
        """The call's queue from the caseworker's start page, filtered to ``task`` by its link
        there (or, when it has no link, because nothing is left, the filter form)."""
        page = self.caseworker.get("/")
        page = self.caseworker.click(page.link(href=r"^/sekretariat/$"))
        code = self.call_code
        if task:
            try:
                return self.caseworker.click(
                    page.link(href=rf"^/sekretariat/{code}/\?task={task}$")
                )
            except ReplayBlocked:
                page = self.caseworker.click(page.link(href=rf"^/sekretariat/{code}/$"))
                return self.caseworker.submit(page.form(having="task"), {"task": task}, actions=0)
        return self.caseworker.click(page.link(href=rf"^/sekretariat/{code}/$"))

    def rows(self, page: Page) -> list[tuple[str, str, str]]:
        """(reference, application id for the bulk form, desk address) of each row."""
        return [(row["reference"], row["pk"], row["href"]) for row in queue_rows(page)]

    def tick(self, page: Page, chosen: list[str]) -> tuple[dict[str, list[str]], int]:
        """The queue's ticks for ``chosen``: by a select-all control when the page has one and
        every row is chosen, else one click per row."""
        everything = {pk for _ref, pk, _href in self.rows(page)}
        select_all = [
            e for e in page.elements if "data-select-all" in e or e.get("name") == "select_all"
        ]
        if select_all and set(chosen) == everything:
            self.tally.paths["select-all"] = "used (one click a page)"
            return {"applications": chosen}, 1
        self.tally.paths.setdefault("select-all", "not offered: one tick per application")
        return {"applications": chosen}, len(chosen)

    def bulk(self, page: Page, chosen: list[str], values: dict[str, str]) -> Page:
        data, clicks = self.tick(page, chosen)
        form = page.form(action=r"/handling/$")
        page = self.caseworker.submit(form, {**data, **values}, actions=clicks + 1)
        return self.confirm_decisions(page) if page.has_form(having="token") else page

    def confirm_decisions(self, page: Page) -> Page:
        """The confirmation a decision asks for (the decisions listed, one letter shown, the
        warnings): confirmed by its button, with the tick that the warnings were seen where
        it asks for one (a second action). Blocked when a warning blocks it."""
        if not page.has_form(having="token"):
            blocking = re.findall(
                r"<li data-warning=\"[^\"]*\" data-blocking>([^<]*)</li>", page.text
            )
            why = " | ".join(blocking) or page.errors()
            raise ReplayBlocked(f"{page.path}: the decisions cannot be confirmed: {why}")
        form = page.form(having="token")
        tick = "seen" in form.names()
        return self.caseworker.submit(
            form, {"seen": "on"} if tick else {}, actions=2 if tick else 1
        )

    def screen(self) -> list[str]:
        """Look at every application screening stopped or questioned: verify an unknown
        partner association once from its remark (pulje screens the others that name it
        again); what still fails is rejected in bulk with the screening's reason. Returns
        the references rejected."""
        log_in_with_password(self.caseworker)
        self.caseworker.stage = "screen"
        verified: set[str] = set()
        failing: dict[str, str] = {}
        seen: set[str] = set()
        while True:
            page = self.queue("screen")
            todo = [(ref, pk, href) for ref, pk, href in self.rows(page) if ref not in seen]
            if not todo:
                break
            for ref, pk, href in todo:
                seen.add(ref)
                detail = self.caseworker.get(href)
                for link in detail.links_to(r"/partner/\d+/godkend/$"):
                    cvr = link.href.rstrip("/").split("/")[-2]
                    if cvr in verified:
                        continue
                    confirm = self.caseworker.click(link)
                    form = confirm.form(having="name")
                    values = {"checked": "on"} if "checked" in form.names() else {}
                    self.caseworker.submit(form, values)
                    verified.add(cvr)
                    detail = self.caseworker.get(href)
                outcome = re.search(r'data-screening="(\w+)"', detail.text)
                if outcome and outcome[1] == "fail":
                    failing[ref] = pk
                    for fails in re.findall(
                        r"<li><strong>[^<]*</strong>\s*([^<]*)</li>", detail.text
                    ):
                        kind = re.split(r"\d", fails)[0].strip()
                        self.fails[kind] += 1
                        self.fail_examples.setdefault(kind, " ".join(fails.split()))
                elif outcome and outcome[1] == "remarks":
                    form = detail.form(action=r"/screening/$")
                    self.caseworker.submit(
                        form, {"outcome": "pass", "reason": "Bemærkningen er undersøgt."}
                    )
        self.tally.paths["partners"] = f"{len(verified)} associations verified once each"
        for text, count in self.fails.most_common():
            self.tally.note(
                f"screening stopped {count} (rejected in bulk), e.g. {self.fail_examples[text]}"
            )
        rejected = list(failing)
        while failing:
            page = self.queue("screen")
            on_page = [pk for ref, pk, _h in self.rows(page) if ref in failing]
            if not on_page:
                break
            self.bulk(
                page,
                on_page,
                {
                    "action": "reject",
                    "reason_code": self.reason(page, "screening"),
                    "reason_text": "",
                },
            )
            failing = {r: p for r, p in failing.items() if p not in on_page}
        self.say(f"screened: {len(verified)} partners verified, {len(rejected)} rejected")
        return rejected

    def reason(self, page: Page, hint: str) -> str:
        choices = [c for c in page.form(action=r"/handling/$").choices("reason_code") if c]
        return next((c for c in choices if hint in c), choices[0])

    def assign(self, assessors: int) -> None:
        """The panel (one submit per assessor), then two assessors each: in the queue, one
        bulk action per assessor and page, one tick per application (or select-all)."""
        self.caseworker.stage = "assign"
        page = self.queue()
        panel = self.caseworker.click(page.link(attr="data-link", href=r"/bedoemmere/$"))
        for n in range(assessors):
            email = f"bedoemmer{n + 1}@ekspert.example"
            panel = self.caseworker.submit(
                panel.form(having="email"), {"email": email, "name": f"Bedømmer {n + 1}"}
            )
            self.assessors.append(self.person("assessor", email))
        first: dict[str, int] = {}
        for task, offset in (("assign", 0), ("scoring", 1)):
            done: set[str] = set()
            page_number = 1
            while True:
                page = self.queue(task)
                if page_number > 1:
                    page = self.caseworker.get(
                        f"{page.url.split('?')[0]}?task={task}&page={page_number}"
                    )
                rows = [(ref, pk) for ref, pk, _h in self.rows(page) if ref not in done]
                if not rows:
                    if (
                        task == "scoring"
                        and "page=" in page.text
                        and page_number < 20
                        and self.rows(page)
                    ):
                        page_number += 1
                        continue
                    break
                self.say(f"assign: {len(rows)} to assign from the list {task!r}")
                options = page.form(action=r"/handling/$").choices("assessor")[1:]
                if len(options) < assessors:
                    raise ReplayBlocked(
                        "the queue's bulk form does not offer every assessor of the panel"
                    )
                groups: dict[int, list[str]] = defaultdict(list)
                for ref, pk in rows:
                    slot = first.setdefault(ref, int(pk) % assessors)
                    groups[(slot + offset) % assessors].append(pk)
                    done.add(ref)
                for slot, chosen in sorted(groups.items()):
                    page = self.bulk(page, chosen, {"action": "assign", "assessor": options[slot]})
        self.say(f"assigned {len(first)} applications to 2 assessors each")

    def score(self) -> None:
        """Each assessor: log in, declare no conflict, score and submit, per assignment."""
        quality = {plan.uuid: plan.quality for plan in self.round.plans}
        for assessor in self.assessors:
            log_in_by_code(assessor)
            assessor.stage = "score"
            while True:
                page = assessor.get("/")
                page = assessor.click(page.link(href=r"^/bedoemmelse/$"))
                todo = page.links_to(r"^/bedoemmelse/[0-9a-f-]{36}/(erklaering/)?$")
                todo = [link for link in todo if "erklaering" in link.href] or [
                    link for link in todo if "data-to-score" in link.attrs
                ]
                if not todo:
                    break
                link = todo[0]
                uuid = urlsplit(link.href).path.split("/")[2]
                page = assessor.click(link)
                if page.has_form(having="conflict"):
                    page = assessor.submit(page.form(having="conflict"), {"conflict": "no"})
                form = page.form(having="action")
                values: dict[str, str | list[str]] = {}
                for name in sorted(form.names()):
                    if name.endswith("_value"):
                        scale = form.choices(name)
                        mark = round(quality[uuid] + self.rng.gauss(0, 0.7))
                        values[name] = scale[max(0, min(len(scale) - 1, mark - int(scale[0])))]
                    elif name.endswith("_text"):
                        values[name] = "Begrundet ud fra ansøgningens beskrivelse."
                assessor.submit(form, values, button="submit")
        self.say("scored")

    def recommend(self) -> None:
        """The caseworker's recommendation of each scored application (the expert group's):
        recommended when its mean score is 3 or more."""
        self.caseworker.stage = "recommend"
        page = self.queue("scoring")
        recommend_at = next(
            (
                b.attrs["formaction"]
                for b in page.form(action=r"/handling/$").buttons()
                if re.search(r"/indstilling/$", b.attrs.get("formaction", ""))
            ),
            None,
        )
        pages = [page]
        while True:
            try:
                pages.append(self.caseworker.click(pages[-1].link(text="Næste")))
            except ReplayBlocked:
                break
        rows: list[tuple[str, str, str, float]] = []
        for listing in pages:
            for row in queue_rows(listing):
                rows.append((row["reference"], row["pk"], row["href"], row["score"]))
        self.not_recommended = {ref for ref, _pk, _h, value in rows if value < 3}
        if recommend_at:
            self.tally.paths["recommend"] = "bulk recommendation in the queue"
            for listing in pages:
                form = replace(
                    listing.form(action=r"/handling/$"), action=urljoin(listing.url, recommend_at)
                )
                shown = {p for _r, p, _x in self.rows(listing)}
                for verdict, wanted in (("yes", True), ("no", False)):
                    chosen = [pk for _r, pk, _h, v in rows if pk in shown and (v >= 3) == wanted]
                    if not chosen:
                        continue
                    data, clicks = self.tick(listing, chosen)
                    self.caseworker.submit(
                        form,
                        {
                            **data,
                            "recommendation": verdict,
                            "recommendation_reason": "Ekspertgruppens indstilling.",
                        },
                        actions=clicks + 1,
                    )
            self.say(f"recommended {sum(v >= 3 for *_x, v in rows)} of {len(rows)}")
            return
        self.tally.paths["recommend"] = "one form per application (no bulk recommendation)"
        for _ref, _pk, href, value in rows:
            detail = self.caseworker.get(href)
            page = self.caseworker.click(detail.link(href=r"/indstilling/$"))
            form = page.form(having="recommendation")
            self.caseworker.submit(
                form,
                {
                    "recommendation": "yes" if value >= 3 else "no",
                    "reason": "Ekspertgruppens indstilling.",
                },
            )
        self.say(f"recommended {sum(v >= 3 for *_x, v in rows)} of {len(rows)}")

    def allocate(self, run_worker: Callable[[str], None]) -> None:
        """A new run with the newest options, the worker computes it; applications the expert
        group did not recommend are locked out by hand if the run proposes them; confirm."""
        self.caseworker.stage = "allocate"
        page = self.queue()
        page = self.caseworker.click(page.link(attr="data-link", href=r"/fordeling/$"))
        page = self.caseworker.click(page.link(href=r"/fordeling/ny/$"))
        page = self.caseworker.submit(page.form(having="objective"), expect=(200, 400))
        if not re.search(r"/fordeling/\d+/$", page.path):
            raise ReplayBlocked(f"a new allocation run was refused: {page.errors()}")
        run_worker("allocate")
        page = self.caseworker.get(page.url)
        if page.has_form(having="locked_out"):
            form = page.form(having="locked_out")
            proposed_out = proposed(page) & self.not_recommended
            if proposed_out:
                self.tally.paths["not recommended"] = (
                    f"proposed by the run and locked out by hand: {len(proposed_out)}"
                )
                page = self.caseworker.submit(
                    form,
                    {
                        "locked_out": sorted(
                            set(form.defaults().get("locked_out", [])) | proposed_out
                        )
                    },
                    actions=len(proposed_out) + 1,
                )
                run_worker("allocate")
                page = self.caseworker.get(page.url)
            else:
                self.tally.paths.setdefault("not recommended", "left out by the run itself")
        page = self.caseworker.click(page.link(attr="data-action", href=r"/bekraeft/$"))
        self.caseworker.stage = "decide"
        refusal = re.search(r'data-refusal="[^"]*">([^<]*)', page.text)
        if refusal:
            raise ReplayBlocked(f"{page.path}: the proposal cannot be confirmed: {refusal[1]}")
        self.confirm_decisions(page)
        self.say("allocation confirmed")

    def decide_rest(self) -> None:
        """What the run did not decide (nothing, if it decided every candidate): rejected in
        bulk."""
        self.caseworker.stage = "decide"
        while True:
            page = self.queue("decide")
            rows = self.rows(page)
            if not rows:
                break
            self.bulk(
                page,
                [pk for _r, pk, _h in rows],
                {"action": "reject", "reason_code": self.reason(page, "money"), "reason_text": ""},
            )

    def accept(self) -> int:
        """Each grantee, by the link on their applications page, accepts the grant."""
        accepted = 0
        for plan in self.round.plans:
            applicant = self.applicants[plan.organisation]
            applicant.stage = "accept"
            page = applicant.get("/")
            page = applicant.click(page.link(href=r"^/ansoegninger/$"))
            for link in page.links_to(r"^/afgoerelser/tilsagn/[0-9a-f-]{36}/$"):
                decision = applicant.click(link)
                if plan.title not in decision.text or not decision.has_form(
                    having="confirm_account"
                ):
                    continue
                form = decision.form(having="confirm_account")
                values: dict[str, str | list[str]] = {"confirm_account": "on"}
                if "budget_activities" in form.names():
                    granted = re.search(
                        r"divide the ([\d.]+),\d\d kr|fordel de ([\d.]+),\d\d kr", decision.text
                    )
                    total = (
                        int((granted[1] or granted[2]).replace(".", "")) if granted else plan.amount
                    )
                    salaries = min(plan.salaries, total)
                    values.update(
                        {
                            "budget_salaries": str(salaries),
                            "budget_activities": str(total - salaries),
                        }
                    )
                applicant.submit(form, values)
                accepted += 1
                break
        return accepted


# --- the server, the worker and the report ----------------------------------------------------


# --- the server, the worker and the report ----------------------------------------------------


def environment(directory: str) -> None:
    """The server's settings, before Django is set up: a temporary SQLite database, mail kept
    in this process (the people read their codes there), background work in the database
    queue (run by ``run_worker``), letters sent when the worker runs (no undo window: the
    replay does not wait the caseworker's minutes to undo), and each person's own address
    behind the proxy."""
    os.environ.update(
        {
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{directory}/round.sqlite3",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "BEHIND_PROXY": "1",
            "LETTERS_UNDO_MINUTES": "0",
            "MEDIA_ROOT": f"{directory}/media",
            "STATIC_ROOT": f"{directory}/static",
            "DJANGO_SETTINGS_MODULE": "pulje.settings",
        }
    )
    Path(directory, "static").mkdir()
    sys.path.insert(0, str(PROJECT_DIR / "src"))
    sys.path.insert(0, str(PROJECT_DIR / "bench"))


def serve() -> Any:
    """A threaded WSGI server for pulje on a free port in this process, as the browser tests'
    live server (Django's LiveServerThread) serves it."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.db import connections
    from django.test.testcases import LiveServerThread

    connections.close_all()
    thread = LiveServerThread("127.0.0.1", static_handler=StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    return thread


def worker(tally: Tally) -> Callable[[str], None]:
    """The background worker (``db_worker --batch``), run in this process until the queue is
    empty; its time is the stage's system time too."""
    from django.core.management import call_command

    def run(stage: str) -> None:
        start = time.perf_counter()
        call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
        tally.worker_s[stage] += time.perf_counter() - start

    return run


def close_call(call: Any) -> None:
    """The call's deadline moved a minute into the past, as when the round's applications
    are decided (the confirmation blocks deciding before it). Set directly: the call editor
    refuses a deadline in the past for an open call, and this is the bench's clock."""
    import datetime as dt

    from django.utils import timezone

    from pulje.calls.models import Call

    Call.objects.filter(pk=call.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))


def outcomes(call: Any) -> dict[str, Any]:
    """What the round ended with, read from the database after the replay (the check)."""
    from pulje.applications.models import Application
    from pulje.decisions.models import Decision
    from pulje.letters.models import Letter

    applications = Application.objects.filter(call=call)
    decisions = Decision.objects.filter(application__call=call)
    return {
        "statuses": Counter(applications.values_list("status", flat=True)),
        "decisions": Counter(decisions.values_list("outcome", flat=True)),
        "granted_ore": sum(
            d.amount_ore or 0 for d in decisions if d.outcome in ("grant", "reduced")
        ),
        "letters": Letter.objects.filter(application__call=call).count(),
        "letters_sent": Letter.objects.filter(
            application__call=call, sent_at__isnull=False
        ).count(),
    }


def kroner(ore: int) -> str:
    return f"{ore // KR:,}".replace(",", ".") + " kr."


def report(tally: Tally, the_round: Round, result: dict[str, Any], accepted: int) -> list[str]:
    """The table: actions per role and stage, system time per stage, the caseworker's actions
    per decision, the slowest page, the paths taken."""
    lines = []
    asked = sum(plan.amount for plan in the_round.plans)
    over_cap = sum(plan.salaries > SALARY_CAP_KR * MONTHS for plan in the_round.plans)
    unknown = sum(plan.partner not in the_round.known_partners for plan in the_round.plans)
    lines.append(
        f"round       {len(the_round.plans)} applications asking {kroner(asked * KR)} from "
        f"{the_round.organisations} organisations; {unknown} name a partner unknown to the "
        f"registry ({the_round.partners - len(the_round.known_partners)} associations), "
        f"{over_cap} are over the salary cap"
    )
    lines.append("")
    header = (
        f"{'stage':<11}"
        + "".join(f"{role:>12}" for role in ROLES)
        + f"{'requests':>10}{'server s':>10}{'worker s':>10}"
    )
    lines.append("human actions per role and stage, and the system's time")
    lines.append(header)
    lines.append("-" * len(header))
    for stage in STAGES:
        hits = [hit for hit in tally.hits if hit.stage == stage]
        cells = "".join(f"{tally.actions[(role, stage)]:>12}" for role in ROLES)
        server = sum(hit.ms for hit in hits) / 1000
        lines.append(
            f"{stage:<11}{cells}{len(hits):>10}{server:>10.1f}{tally.worker_s[stage]:>10.1f}"
        )
    totals = "".join(f"{sum(tally.actions[(role, s)] for s in STAGES):>12}" for role in ROLES)
    server_total = sum(hit.ms for hit in tally.hits) / 1000
    lines.append("-" * len(header))
    lines.append(
        f"{'all':<11}{totals}{len(tally.hits):>10}{server_total:>10.1f}{sum(tally.worker_s.values()):>10.1f}"
    )
    lines.append("")
    decided = sum(result["decisions"].values())
    grants = result["decisions"].get("grant", 0) + result["decisions"].get("reduced", 0)
    casework = sum(tally.actions[("caseworker", stage)] for stage in CASEWORK_STAGES)
    per_decision = casework / decided if decided else float("inf")
    verdict = "MET" if per_decision <= 2 else "NOT MET"
    per_grant = casework / grants if grants else float("inf")
    lines.append(
        f"caseworker  {casework} actions from submission to decision "
        f"({', '.join(CASEWORK_STAGES)}): {per_decision:.2f} per decision ({decided}), "
        f"{per_grant:.2f} per grant ({grants}); target ≤ 2 per decision: {verdict}"
    )
    outcome = result["decisions"]
    lines.append(
        f"decisions   {outcome.get('grant', 0)} full, {outcome.get('reduced', 0)} reduced, "
        f"{outcome.get('reject', 0)} rejected; {kroner(result['granted_ore'])} granted; "
        f"{accepted} accepted; {result['letters_sent']} of {result['letters']} letters e-mailed"
    )
    statuses = ", ".join(
        f"{status} {count}" for status, count in sorted(result["statuses"].items())
    )
    lines.append(f"statuses    {statuses}")
    slowest = max(tally.hits, key=lambda hit: hit.ms)
    where = f"{slowest.method} {urlsplit(slowest.url).path}"
    lines.append(f"slowest     {where} {slowest.ms:.0f} ms ({slowest.stage})")
    for stage in STAGES:
        hits = [hit for hit in tally.hits if hit.stage == stage]
        if hits:
            worst = max(hits, key=lambda hit: hit.ms)
            lines.append(
                f"  {stage:<10}{worst.method} {urlsplit(worst.url).path} {worst.ms:.0f} ms"
            )
    lines.append("")
    lines.append("paths the pages offered")
    for what, how in sorted(tally.paths.items()):
        lines.append(f"  {what:<16}{how}")
    for note in tally.notes:
        lines.append(f"  note: {note}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else "",
        epilog=(
            "A human action is a form submit or a deliberate click that changes something (a tick "
            "in the queue's list); page loads are not. The set-up before the call opens (the pool, "
            "the call, the organisations and their members) is made through the services and not "
            "counted. Exit status 0 when the replay went through and every application ended "
            "decided; 1 when a page blocked it."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--applications", type=int, default=135, help="applications in the round (135)"
    )
    parser.add_argument(
        "--organisations", type=int, default=80, help="applicant organisations (80)"
    )
    parser.add_argument(
        "--asked",
        type=int,
        default=28_900_000,
        help="kroner 135 applications ask for (28,900,000; scaled by --applications)",
    )
    parser.add_argument(
        "--assessors", type=int, default=6, help="assessors on the panel, two per application (6)"
    )
    parser.add_argument("--seed", type=int, default=2021, help="the round's random seed (2021)")
    parser.add_argument("--quiet", action="store_true", help="no progress on standard error")
    args = parser.parse_args(argv)
    if args.organisations > args.applications or args.assessors < 2:
        parser.error("--organisations must be at most --applications, --assessors at least 2")
    with tempfile.TemporaryDirectory(prefix="pulje-bench-round-") as directory:
        return replay(args, directory)


def replay(args: argparse.Namespace, directory: str) -> int:
    environment(directory)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from common import load_average, machine_facts, print_facts, revision

    load_before = load_average()
    call_command("migrate", verbosity=0)
    # Production serves without DEBUG (and with it Django would keep every query's SQL).
    settings.DEBUG = False
    the_round = make_round(
        applications=args.applications,
        organisations=args.organisations,
        seed=args.seed,
        asked_kr=args.asked,
    )
    made = set_up(the_round)
    server = serve()
    # The first requests load templates and translations: untimed, as a server that has run.
    requests.get(f"http://127.0.0.1:{server.port}/", timeout=60)
    tally = Tally()
    run_worker = worker(tally)
    people = Replay(
        f"http://127.0.0.1:{server.port}", the_round, tally, args.seed, progress=not args.quiet
    )
    accepted = 0
    failure = ""
    try:
        people.apply()
        # The call's deadline passes: casework decides what can no longer be changed.
        close_call(made["call"])
        people.screen()
        people.assign(args.assessors)
        people.score()
        people.recommend()
        people.allocate(run_worker)
        people.decide_rest()
        people.caseworker.stage = "letters"
        run_worker("letters")
        accepted = people.accept()
    except ReplayBlocked as blocked:
        failure = str(blocked)
    finally:
        server.terminate()
    result = outcomes(made["call"])
    print(f"== bench/round.py, seed {args.seed}")
    for line in report(tally, the_round, result, accepted):
        print(line)
    print()
    print_facts(machine_facts(revision(), load_before))
    undecided = len(the_round.plans) - sum(result["decisions"].values())
    if failure:
        print(f"\nFAIL: the replay was blocked: {failure}")
        return 1
    if undecided:
        print(f"\nFAIL: {undecided} applications were left undecided")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
