"""The caseworkers' page of partner organisations: those the registry vouches for (imported
or verified by a caseworker, with who and when), and the import of a file of them."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pulje.core.access import logged_in, request_user
from pulje.core.forms import add_service_error
from pulje.registry.forms import AssociationImportForm
from pulje.registry.imports import ASSOCIATION_COLUMNS, ImportFileError, ImportRefused, read_data
from pulje.registry.permissions import is_caseworker
from pulje.registry.selectors import verified_associations
from pulje.registry.services.association_import import import_associations
from pulje.registry.services.verification import VerificationRefused


@logged_in
def associations(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not is_caseworker(user):
        raise Http404
    form = AssociationImportForm(request.POST or None, request.FILES or None)
    rejected: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = read_data(upload.name, upload.read(), ASSOCIATION_COLUMNS)
            result = import_associations(actor=user, table=table)
        except (ImportFileError, VerificationRefused) as error:
            add_service_error(form, error, field="file")
        except ImportRefused as refused:
            rejected = refused.messages()
            form.add_error(
                "file",
                _("Nothing was imported: correct the lines below and import the file again."),
            )
        else:
            counts = result.organisations
            messages.success(
                request,
                _(
                    "The file is imported: %(created)d new, %(updated)d changed, "
                    "%(unchanged)d unchanged, %(verified)d verified now."
                )
                % {
                    "created": counts.created,
                    "updated": counts.updated,
                    "unchanged": counts.unchanged,
                    "verified": counts.created + result.verified,
                },
            )
            return redirect("registry:associations")
    return render(
        request,
        "registry/associations.html",
        {"form": form, "rejected": rejected, "organisations": verified_associations()},
        status=400 if form.errors else 200,
    )
