"""What an application's content looks like to its readers: the draft as form data, the
content of a submission (the receipt, stored with each version) and that content ready for
``applications/_content.html``, which the applicant's, the caseworker's and the assessor's
pages all show. Pure shaping of what is read; nothing here writes.
"""

import datetime as dt
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.datastructures import MultiValueDict

from pulje.applications.checks import ReadDraft
from pulje.applications.models import Application, BudgetKind, TargetGroup
from pulje.core.audit import snapshot
from pulje.registry.services.organisations import ORGANISATION_FIELDS


def draft_data(application: Application) -> MultiValueDict[str, str]:
    """The draft as form data, as a browser would send it."""
    return MultiValueDict({name: list(values) for name, values in application.draft.items()})


def submission_content(application: Application, read: ReadDraft) -> dict[str, Any]:
    """What was submitted, readable without the rest of the database: the receipt."""
    organisation = application.organisation
    typed = read.input
    content = {
        "organisation": snapshot(organisation, ORGANISATION_FIELDS),
        "departments": [str(department) for department in read.departments],
        "fields": {
            "title": typed.title,
            "summary": typed.summary,
            "target_groups": list(typed.target_groups),
            "activities": typed.activities,
            "loneliness": typed.loneliness,
            "period_start": typed.period_start,
            "period_end": typed.period_end,
            "expected_participants": typed.expected_participants,
            "amount": typed.amount_ore,
            "cofunding": typed.cofunding_ore,
        },
        "budget": dict(typed.budget or {}),
        "partners": [{"name": p.name, "cvr": p.cvr, "kind": p.kind} for p in typed.partners or ()],
        "answers": [
            {"question": question.label, "value": typed.answers.get(question.pk)}
            for question in read.questions
        ],
        "attachments": [
            {
                "id": attachment.pk,
                "name": attachment.original_name,
                "size": attachment.size,
                "question": attachment.question.label if attachment.question else "",
            }
            for attachment in application.attachments.filter(removed_at__isnull=True)
            .select_related("question")
            .order_by("pk")
        ],
    }
    result: dict[str, Any] = json.loads(json.dumps(content, cls=DjangoJSONEncoder))
    return result


def content_context(content: dict[str, Any]) -> dict[str, Any]:
    """A submitted (or to-be-submitted) content, ready for ``applications/_content.html``."""
    fields = content["fields"]
    return {
        "content": content,
        "target_groups": [TargetGroup(value).label for value in fields["target_groups"]],
        "period_start": dt.date.fromisoformat(fields["period_start"]),
        "period_end": dt.date.fromisoformat(fields["period_end"]),
        "budget": [
            (label, content["budget"][kind])
            for kind, label in BudgetKind.choices
            if kind in content["budget"]
        ],
    }
