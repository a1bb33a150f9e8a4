from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from tracker.views.accounts import lockout_response


class PrivateForSignedInMiddleware:
    """Mark every signed-in response `Cache-Control: private`.

    Learners' pages carry their statuses, notes and name; `Vary: Cookie` alone leaves a shared
    cache (a CDN or corporate proxy set to cache aggressively) free to store them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and "public" not in response.get("Cache-Control", "")
        ):
            patch_cache_control(response, private=True)
        return response


class SignInLimitMiddleware:
    """Answer a sign-in the throttle refused with the 429 page (tracker/services/signin.py).

    The backend can only make authenticate() fail; this turns that into "try again in N
    minutes" on whichever sign-in page was used, the site's or the admin's.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        wait = getattr(request, "sign_in_wait", None)
        if wait:
            return lockout_response(request, wait)
        return response
