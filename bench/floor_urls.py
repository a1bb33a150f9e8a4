"""The project's URLs plus the floor: the least a one-click status change can cost here.

The floor view goes through the same middleware, session, sign-in check and CSRF check as
the real toggle, then writes one existing row in one UPDATE and answers a few bytes: no
event, no lock, no progress bars, no row HTML. Whatever the real toggle costs above this is
ours to cut; what the floor costs is the stack's.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from roadmap_site.urls import urlpatterns as project_urlpatterns
from tracker.models import Progress


@login_required
@require_POST
def floor_toggle(request, item_slug: str) -> HttpResponse:
    Progress.objects.filter(
        learner_id=request.user.pk, item__roadmap__slug="llm", item__slug=item_slug
    ).update(status=request.POST["status"])
    return HttpResponse("ok")


urlpatterns = [
    *project_urlpatterns,
    path("bench/floor/<slug:item_slug>/", floor_toggle),
]
