from django.conf import settings
from django.db import models


class RoadmapFollow(models.Model):
    """A roadmap a learner follows; `position` orders them for the study plan."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    roadmap = models.ForeignKey("tracker.Roadmap", on_delete=models.CASCADE, related_name="follows")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["learner", "position", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "roadmap"], name="follow_once_per_roadmap")
        ]

    def __str__(self) -> str:
        return f"{self.learner} follows {self.roadmap}"
