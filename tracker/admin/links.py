"""Admin for link health: the "Link health" list, per-host rules and alert recipients."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from tracker import tasks
from tracker.models import HostRule, Link, LinkAlertRecipient, LinkState
from tracker.selectors.links import link_uses
from tracker.services import links as link_service
from tracker.task_queue import QueueUnavailable, enqueue

RECENT_CHECKS = 10
# Text symbols, not emoji: a browser without an emoji font draws those as empty boxes.
STATE_ICONS = {
    LinkState.OK: "✔",
    LinkState.REDIRECTED: "↪",
    LinkState.BROKEN: "✖",
    LinkState.BLOCKED: "⊘",
    LinkState.TRANSIENT: "◷",
    LinkState.SKIPPED: "–",
    LinkState.UNVERIFIED: "?",
}


QUEUE_DOWN = "Couldn't queue the check: the task queue is unavailable. Try again later."


def _queue_checks(links) -> int:
    """Mark the links pending and queue their check; QueueUnavailable if the broker is down."""
    ids = link_service.request_check(links=links)
    try:
        enqueue(tasks.check_links, ids)
    except QueueUnavailable:
        # Nothing will check them, so their pages must not keep saying "Checking…".
        Link.objects.filter(id__in=ids).update(check_requested_at=None)
        raise
    return len(ids)


@admin.action(description="Check now")
def check_now(modeladmin, request, queryset):
    try:
        count = _queue_checks(queryset)
    except QueueUnavailable:
        modeladmin.message_user(request, QUEUE_DOWN, messages.ERROR)
        return
    modeladmin.message_user(
        request,
        f"Queued a check of {count} link(s). Each link's page shows its status as it updates.",
        messages.SUCCESS,
    )


@admin.action(description="Apply suggested redirect (update the resources' URLs)")
def apply_suggested_redirect(modeladmin, request, queryset):
    rows = links = 0
    for link in queryset.exclude(suggested_url=""):
        rows += link_service.apply_suggested_redirect(link=link)
        links += 1
    if not links:
        modeladmin.message_user(request, "None of these links has a suggestion.", messages.WARNING)
        return
    modeladmin.message_user(
        request, f"Updated {rows} resource URL(s) for {links} link(s).", messages.SUCCESS
    )


@admin.action(description="Ignore (never check or report)")
def ignore(modeladmin, request, queryset):
    count = link_service.set_ignored(links=queryset, ignored=True)
    modeladmin.message_user(request, f"Ignoring {count} link(s).", messages.SUCCESS)


@admin.action(description="Stop ignoring")
def unignore(modeladmin, request, queryset):
    count = link_service.set_ignored(links=queryset, ignored=False)
    modeladmin.message_user(request, f"Checking {count} link(s) again.", messages.SUCCESS)


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    # Five short columns fit 1280 px between the admin's sidebar and the filters: the HTTP
    # status sits in "latest check", failures are on each link's page, ignored links have
    # their count and filter above the list, and long URLs are cut with the whole URL in
    # their title (admin-links.css).
    list_display = ["short_url", "shown_state", "latest_check", "checked", "suggestion"]
    list_display_links = ["short_url"]
    list_filter = ["state", "last_result", "ignored", "referenced"]
    search_fields = ["url", "error", "suggested_url"]
    actions = [check_now, apply_suggested_redirect, ignore, unignore]
    list_per_page = 100
    change_form_template = "admin/tracker/link/change_form.html"
    change_list_template = "admin/tracker/link/change_list.html"
    fields = [
        "url",
        "check_status",
        "used_by",
        "state",
        "last_result",
        "http_status",
        "error",
        "suggested_url",
        "consecutive_failures",
        "first_failure_at",
        "last_checked_at",
        "last_ok_at",
        "confirmed_broken_at",
        "next_check_at",
        "ignored",
        "referenced",
        "recent_checks",
    ]
    readonly_fields = [f for f in fields if f not in {"ignored", "next_check_at"}]

    class Media:
        css = {"all": ["css/admin-links.css"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # links come from content, through the sync

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # The scheduled check creates the rows; where it never ran (the quick start, no
        # worker) the list stayed at "0 links" with nothing to check, so list content's now.
        if not Link.objects.exists():
            link_service.sync_links()
        extra_context = {**(extra_context or {}), "state_counts": _state_counts(request)}
        return super().changelist_view(request, extra_context)

    @admin.display(description="URL", ordering="url")
    def short_url(self, link: Link) -> str:
        return format_html('<span class="link-url" title="{}">{}</span>', link.url, link.url)

    @admin.display(description="redirect", ordering="suggested_url")
    def suggestion(self, link: Link) -> str:
        if not link.suggested_url:
            return "–"
        return format_html('<span title="{}">↪ suggested</span>', link.suggested_url)

    @admin.display(description="checked (UTC)", ordering="last_checked_at")
    def checked(self, link: Link) -> str:
        return f"{link.last_checked_at:%d %b %H:%M}" if link.last_checked_at else "never"

    @admin.display(description="used by")
    def used_by(self, link: Link) -> str:
        return render_to_string("admin/tracker/link/_used_by.html", {"uses": link_uses(link)})

    @admin.display(description="learners see", ordering="state")
    def shown_state(self, link: Link) -> str:
        return f"{STATE_ICONS[link.state]} {link.get_state_display()}"

    @admin.display(description="latest check", ordering="last_result")
    def latest_check(self, link: Link) -> str:
        if not link.last_result:
            return "never"
        http = f" (HTTP {link.http_status})" if link.http_status else ""
        return f"{STATE_ICONS[link.last_result]} {link.get_last_result_display()}{http}"

    @admin.display(description="status")
    def check_status(self, link: Link) -> str:
        return render_to_string("admin/tracker/link/_status.html", _status_context(link))

    @admin.display(description=f"last {RECENT_CHECKS} checks")
    def recent_checks(self, link: Link) -> str:
        checks = link.checks.all()[:RECENT_CHECKS]
        if not checks:
            return "No checks yet."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} {}</td><td>{}</td><td>{} ms</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{check.checked_at:%Y-%m-%d %H:%M}",
                    STATE_ICONS[check.state],
                    check.get_state_display(),
                    check.http_status or "",
                    check.latency_ms,
                    " → ".join(f"{hop['status']} {hop['location']}" for hop in check.redirects),
                    check.error,
                )
                for check in checks
            ),
        )
        return format_html(
            '<div class="table-wrap"><table><thead><tr><th scope="col">When (UTC)</th>'
            '<th scope="col">Result</th><th scope="col">HTTP</th><th scope="col">Latency</th>'
            '<th scope="col">Redirects</th><th scope="col">Error</th></tr></thead>'
            "<tbody>{}</tbody></table></div>",
            rows,
        )

    def get_urls(self):
        own = [
            path(
                "<int:link_id>/status/",
                self.admin_site.admin_view(self.status_view),
                name="tracker_link_status",
            ),
            path(
                "<int:link_id>/check/",
                self.admin_site.admin_view(require_POST(self.check_view)),
                name="tracker_link_check",
            ),
        ]
        return own + super().get_urls()

    def status_view(self, request: HttpRequest, link_id: int) -> HttpResponse:
        """The self-updating status: polls while a check is pending, then stops polling."""
        link = self._link_for(request, link_id)
        html = render_to_string("admin/tracker/link/_status.html", _status_context(link))
        if request.htmx and not link.check_pending:
            return HttpResponseStopPolling(html)
        return HttpResponse(html)

    def check_view(self, request: HttpRequest, link_id: int) -> HttpResponse:
        link = self._link_for(request, link_id)
        if not self.has_change_permission(request, link):
            raise PermissionDenied
        try:
            _queue_checks([link])
        except QueueUnavailable:
            link.refresh_from_db()
            if request.htmx:
                context = {**_status_context(link), "queue_down": QUEUE_DOWN}
                return HttpResponse(render_to_string("admin/tracker/link/_status.html", context))
            self.message_user(request, QUEUE_DOWN, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:tracker_link_change", args=[link.id]))
        if request.htmx:
            return self.status_view(request, link_id)
        self.message_user(request, "Check queued.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:tracker_link_change", args=[link.id]))

    def _link_for(self, request: HttpRequest, link_id: int) -> Link:
        link = get_object_or_404(Link, id=link_id)
        if not self.has_view_permission(request, link):
            raise PermissionDenied
        return link


def _state_counts(request: HttpRequest) -> list[dict]:
    """Links per state shown to learners, then ignored ones, each a link filtering the list
    (one query)."""
    counts = Link.objects.aggregate(
        **{state.value: Count("id", filter=Q(state=state)) for state in LinkState},
        ignored_links=Count("id", filter=Q(ignored=True)),
    )
    base = reverse("admin:tracker_link_changelist")
    rows = [
        {
            "label": state.label,
            "icon": STATE_ICONS[state],
            "count": counts[state.value],
            "query": f"state__exact={state.value}",
        }
        for state in LinkState
    ]
    rows.append(
        {
            "label": "Ignored",
            "icon": "⊘",
            "count": counts["ignored_links"],
            "query": "ignored__exact=1",
        }
    )
    current = request.GET.urlencode()
    for row in rows:
        row["url"] = f"{base}?{row['query']}"
        row["current"] = current == row["query"]
    return rows


def _status_context(link: Link) -> dict:
    return {
        "link": link,
        "icon": STATE_ICONS[link.last_result or LinkState.UNVERIFIED],
        "status_url": reverse("admin:tracker_link_status", args=[link.id]),
        "check_url": reverse("admin:tracker_link_check", args=[link.id]),
    }


@admin.register(HostRule)
class HostRuleAdmin(admin.ModelAdmin):
    list_display = ["host", "min_interval_s", "max_per_host", "excluded", "note"]
    list_editable = ["min_interval_s", "max_per_host", "excluded"]
    search_fields = ["host", "note"]


@admin.register(LinkAlertRecipient)
class LinkAlertRecipientAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    raw_id_fields = ["user"]
