# One module per area; importing registers its ModelAdmins.
from . import accounts  # noqa: F401
