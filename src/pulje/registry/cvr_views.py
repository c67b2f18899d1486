"""What the CVR register says of a number, for a form that fills the name in from it
(static/src/cvrlookup.js). The form works without it: the fields are typed by hand."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from pulje.core.access import logged_in
from pulje.registry.cvr import lookup_cvr
from pulje.registry.validators import clean_cvr


@require_GET
@logged_in
def cvr_lookup(request: HttpRequest) -> HttpResponse:
    """``?cvr=``: the register's name and the kind its company form implies (``kind`` may be
    null); ``{}`` for a number that is not valid, one the register does not have, or when
    the provider cannot answer now."""
    try:
        cvr = clean_cvr(request.GET.get("cvr", ""))
    except ValidationError:
        return JsonResponse({})
    record = lookup_cvr(cvr)
    if record is None:
        return JsonResponse({})
    return JsonResponse({"name": record.name, "kind": record.kind})
