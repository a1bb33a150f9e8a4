# One module per area; importing registers its ModelAdmins.
from . import (  # noqa: F401
    accounts,
    cohorts,
    content,
    links,
    plans,
    project_reviews,
    review_cards,
    schedules,
)
