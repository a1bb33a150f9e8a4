from collections import defaultdict

from django.db import migrations


def create_explicit_follows(apps, schema_editor):
    """Learners who never chose followed the roadmaps they have progress in by default; that
    default is gone, so make it their explicit choice and no dashboard empties on deploy.
    Learners with no progress follow nothing: the first-run step asks them."""
    Progress = apps.get_model("tracker", "Progress")
    Roadmap = apps.get_model("tracker", "Roadmap")
    RoadmapFollow = apps.get_model("tracker", "RoadmapFollow")
    active = Roadmap.objects.filter(archived_at__isnull=True).order_by("order", "title")
    rank = {pk: index for index, pk in enumerate(active.values_list("pk", flat=True))}
    chosen = RoadmapFollow.objects.filter(roadmap_id__in=rank).values("learner_id")
    started = defaultdict(set)
    for learner_id, roadmap_id in (
        Progress.objects.filter(item__roadmap_id__in=rank)
        .exclude(learner_id__in=chosen)
        .values_list("learner_id", "item__roadmap_id")
        .distinct()
    ):
        started[learner_id].add(roadmap_id)
    RoadmapFollow.objects.bulk_create(
        (
            RoadmapFollow(learner_id=learner_id, roadmap_id=roadmap_id, position=position)
            for learner_id, roadmap_ids in started.items()
            for position, roadmap_id in enumerate(sorted(roadmap_ids, key=rank.__getitem__))
        ),
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0011_progress_event_indexes"),
    ]

    operations = [
        migrations.RunPython(create_explicit_follows, migrations.RunPython.noop, elidable=True),
    ]
