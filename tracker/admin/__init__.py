# One module per area; importing registers its ModelAdmins.
from . import accounts  # noqa: F401
from . import cohorts  # noqa: F401
from . import content  # noqa: F401
from . import links  # noqa: F401
