# One module per area; importing registers its ModelAdmins.
from . import accounts, cohorts, content, links, plans, schedules  # noqa: F401
