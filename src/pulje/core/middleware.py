import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers

from pulje.core.locks import LockTimeout


class DanishFirstLocaleMiddleware:
    """Danish unless the user has chosen another language with the language switch.

    Django's own LocaleMiddleware follows the browser's Accept-Language, and many Danes'
    browsers ask for English; a Danish public service speaks Danish until told otherwise.
    The choice is the cookie that Django's ``set_language`` view sets.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.languages else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class SlidingSessionMiddleware:
    """Extend a logged-in user's session as they work, writing it at most once a minute.

    Django's SESSION_SAVE_EVERY_REQUEST would do it with a write on every request, an
    autosave's too. Here the session is marked changed (so saved with a new expiry) only when
    it was last extended over ``REFRESH_SECONDS`` ago: an idle timeout that is exact to the
    minute. Must come after the session and authentication middleware.
    """

    REFRESH_SECONDS = 60
    KEY = "pulje_extended_at"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            if now - int(request.session.get(self.KEY, 0)) >= self.REFRESH_SECONDS:
                request.session[self.KEY] = now
        return self.get_response(request)


class LockTimeoutMiddleware:
    """Answer a write that waited too long for another's row locks (``core.locks``) with
    "try again" and 503, wherever it was raised, rather than with a server error: nothing
    was written, and the same request will most likely pass in a moment."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, LockTimeout):
            return None
        response = render(request, "busy.html", {"message": exception.message}, status=503)
        response.headers["Retry-After"] = "5"
        return response
