from .accounts import AuthAttempt, Theme, User
from .cohorts import Cohort, CohortMilestone, Membership
from .content import ImportedContent, Item, Level, Resource, Roadmap, Section
from .follows import RoadmapFollow
from .links import HostRule, Link, LinkAlertRecipient, LinkCheck, LinkState
from .plans import WeekPlan
from .progress import Progress, ProgressEvent, Status

__all__ = [
    "AuthAttempt",
    "Cohort",
    "CohortMilestone",
    "HostRule",
    "ImportedContent",
    "Item",
    "Level",
    "Link",
    "LinkAlertRecipient",
    "LinkCheck",
    "LinkState",
    "Membership",
    "Progress",
    "ProgressEvent",
    "Resource",
    "Roadmap",
    "RoadmapFollow",
    "Section",
    "Status",
    "Theme",
    "User",
    "WeekPlan",
]
