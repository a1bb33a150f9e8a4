# One module per area; importing registers its ModelAdmins.
from . import accounts, cohorts, content, links, plans  # noqa: F401
