from .accounts import User
from .cohorts import Cohort, Membership
from .content import ImportedContent, Item, Level, Resource, Roadmap, Section
from .follows import RoadmapFollow
from .plans import WeekPlan
from .progress import Progress, ProgressEvent, Status

__all__ = [
    "Cohort",
    "Membership",
    "ImportedContent",
    "Item",
    "Level",
    "Progress",
    "ProgressEvent",
    "Resource",
    "Roadmap",
    "RoadmapFollow",
    "Section",
    "Status",
    "User",
    "WeekPlan",
]
