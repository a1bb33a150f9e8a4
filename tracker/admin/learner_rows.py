from tracker.content_cache import bump_learner_version_on_commit


class LearnerRowAdmin:
    """For admins of rows that shape a learner's cached pages (follows, week plans).

    Services bump the learner's page version themselves; staff edits here are the only other
    writes, so the admin bumps too, after the commit, for every learner it touched.
    """

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        bump_learner_version_on_commit(obj.learner_id)

    def delete_model(self, request, obj):
        learner_id = obj.learner_id
        super().delete_model(request, obj)
        bump_learner_version_on_commit(learner_id)

    def delete_queryset(self, request, queryset):
        learner_ids = set(queryset.values_list("learner_id", flat=True))
        super().delete_queryset(request, queryset)
        for learner_id in learner_ids:
            bump_learner_version_on_commit(learner_id)
