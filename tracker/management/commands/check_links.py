"""Check external links in-process: all content links (results saved), or the given URLs."""

import json
from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError

from tracker import linkcheck
from tracker.models import Link
from tracker.services import links as link_service


class Command(BaseCommand):
    help = (
        "Check every link used by content (and record the results, like the scheduled task), "
        "or only the URLs given with --url (nothing is recorded). Exits 0 once every URL has "
        "been checked, whatever the outcome."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="One JSON object per line.")
        parser.add_argument(
            "--url", action="append", default=[], metavar="URL", help="Check this URL (repeat)."
        )
        parser.add_argument("--timeout", type=float, metavar="S", help="Seconds per URL.")
        parser.add_argument(
            "--host-interval", type=float, metavar="S", help="Seconds between requests per host."
        )
        parser.add_argument("--concurrency", type=int, metavar="N", help="Requests at once.")

    def handle(self, *args, **options):
        overrides = {}
        if options["timeout"] is not None:
            if options["timeout"] <= 0:
                raise CommandError("--timeout must be more than 0 seconds.")
            overrides["url_timeout"] = options["timeout"]
            overrides["response_timeout"] = min(20.0, options["timeout"])
        if options["concurrency"] is not None:
            if options["concurrency"] < 1:
                raise CommandError("--concurrency must be at least 1.")
            overrides["concurrency"] = options["concurrency"]
        config = link_service.checker_config(**overrides)
        interval = options["host_interval"]
        if interval is not None:
            if interval < 0:
                raise CommandError("--host-interval cannot be negative.")
            # An explicit interval applies to every host (arxiv.org's 3 s included), while
            # the admin's exclusions and per-host limits still hold.
            rules = {
                host: linkcheck.HostRule(max_per_host=rule.max_per_host, skip=rule.skip)
                for host, rule in config.host_rules.items()
            }
            config = replace(config, host_interval=interval, host_rules=rules)
        as_json = options["json"]

        if options["url"]:
            results = linkcheck.check_urls(options["url"], config)
            for result in results:
                self._print(result, as_json)
            return

        def report(pairs):
            for _, result in pairs:
                self._print(result, as_json)

        # The scheduled run's lock: two runs recording at once would check links twice.
        with link_service.run_lock(link_service.FULL_RUN_LOCK) as renew:
            if renew is None:
                raise CommandError("A link check is already running; try again once it is done.")
            link_service.sync_links()
            links = list(Link.objects.checkable())
            summary = link_service.check_links(
                links=links, config=config, after_chunk=report, keep_going=renew
            )
        if summary.stopped:
            raise CommandError("Stopped: another run took over the link check lock.")
        if not as_json:
            states = ", ".join(f"{state}: {n}" for state, n in sorted(summary.states.items()))
            self.stdout.write(self.style.SUCCESS(f"Checked {summary.checked} links ({states})."))

    def _print(self, result: linkcheck.CheckResult, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        style = {
            linkcheck.OK: self.style.SUCCESS,
            linkcheck.BROKEN: self.style.ERROR,
            linkcheck.REDIRECTED: self.style.WARNING,
        }.get(result.state, self.style.NOTICE)
        line = f"{result.state:<10} {result.http_status or '-':>3} {result.url}"
        if result.suggested_url:
            line += f" → {result.suggested_url}"
        if result.error:
            line += f"  ({result.error})"
        self.stdout.write(style(line))
