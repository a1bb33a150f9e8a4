"""Template context for every page."""

from django.http import HttpRequest

from tracker.selectors import project_reviews


def pending_reviews(request: HttpRequest) -> dict:
    # A callable: the template calls it only where it shows the count (the menu, mentors only).
    return {"pending_reviews": lambda: project_reviews.pending_count(request)}
