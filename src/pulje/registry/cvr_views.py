"""What the CVR register says of a number, for a form that fills the name in from it
(static/src/cvrlookup.js). The form works without it: the fields are typed by hand."""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from pulje.core.access import logged_in, request_user
from pulje.registry.cvr import lookup_cvr
from pulje.registry.validators import clean_cvr

HOUR = 60 * 60


def _within_hourly_limit(user_id: int) -> bool:
    """Counts one look-up for the person; False once they have had ``CVR_LOOKUPS_PER_HOUR``
    in the hour that began with their first (the cache shared by all workers counts)."""
    key = f"cvr-lookups:{user_id}"
    cache.add(key, 0, HOUR)
    try:
        count = cache.incr(key)
    except ValueError:  # the count expired between add and incr: this one starts the hour
        cache.set(key, 1, HOUR)
        count = 1
    return count <= settings.CVR_LOOKUPS_PER_HOUR


@require_GET
@logged_in
def cvr_lookup(request: HttpRequest) -> HttpResponse:
    """``?cvr=``: the register's name and the kind its company form implies (``kind`` may be
    null); ``{}`` for a number that is not valid, one the register does not have, or when
    the provider cannot answer now; ``{}`` with status 429 for a person who has looked up
    more numbers this hour than ``CVR_LOOKUPS_PER_HOUR``."""
    try:
        cvr = clean_cvr(request.GET.get("cvr", ""))
    except ValidationError:
        return JsonResponse({})
    if not _within_hourly_limit(request_user(request).pk):
        return JsonResponse({}, status=429)
    record = lookup_cvr(cvr)
    if record is None:
        return JsonResponse({})
    return JsonResponse({"name": record.name, "kind": record.kind})
