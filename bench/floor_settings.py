"""The project's settings with one extra URL: the load test's floor for the status toggle.

`bench/load.py` serves these from a second gunicorn, so the production URLconf never carries
a benchmark-only view.
"""

from roadmap_site.settings import *  # noqa: F403 (the production settings, unchanged)

ROOT_URLCONF = "floor_urls"
