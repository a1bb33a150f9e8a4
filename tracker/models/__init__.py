from .accounts import User
from .content import ImportedContent, Item, Level, Resource, Roadmap, Section
from .progress import Progress, ProgressEvent, Status

__all__ = [
    "ImportedContent",
    "Item",
    "Level",
    "Progress",
    "ProgressEvent",
    "Resource",
    "Roadmap",
    "Section",
    "Status",
    "User",
]
