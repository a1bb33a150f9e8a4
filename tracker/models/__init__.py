from .accounts import AuthAttempt, ColourTheme, User
from .cohorts import Cohort, CohortMilestone, Membership
from .content import ImportedContent, Item, Level, Resource, Roadmap, Section, Theme
from .follows import RoadmapFollow
from .links import HostRule, Link, LinkAlertRecipient, LinkCheck, LinkState
from .nudges import MentorDigest, Nudge
from .plans import WeekPlan
from .progress import Progress, ProgressEvent, Status
from .project_reviews import Decision, ProjectReview, ProjectSubmission, SubmissionState
from .review_cards import Rating, ReviewCard, ReviewLog

__all__ = [
    "AuthAttempt",
    "Cohort",
    "CohortMilestone",
    "ColourTheme",
    "Decision",
    "HostRule",
    "ImportedContent",
    "Item",
    "Level",
    "Link",
    "LinkAlertRecipient",
    "LinkCheck",
    "LinkState",
    "Membership",
    "MentorDigest",
    "Nudge",
    "Progress",
    "ProgressEvent",
    "ProjectReview",
    "ProjectSubmission",
    "Rating",
    "Resource",
    "ReviewCard",
    "ReviewLog",
    "Roadmap",
    "RoadmapFollow",
    "Section",
    "Status",
    "SubmissionState",
    "Theme",
    "User",
    "WeekPlan",
]
