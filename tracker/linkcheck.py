"""Check external links over HTTP: asynchronous, polite, hard to fool and safe to point anywhere.

This module knows nothing of models or views: it takes URLs and plain configuration and gives
back one `CheckResult` per URL. The worker (tracker/services/links.py) stores the results.

Why it is built the way it is:

- False alarms are what make link checkers useless, so only evidence that the link is gone
  counts as `broken` (404/410, DNS name unknown, connection refused, redirect loop, bad TLS
  certificate). Rate limits, bot walls and flaky servers give `blocked` or `transient`.
- HEAD is never sent: many servers answer HEAD with 404/405 while GET works. A streamed GET
  that stops after the headers costs the same and tells the truth.
- Server-side request forgery: content URLs are untrusted. Every connection goes through
  `GuardedBackend`, which resolves the name itself, refuses non-public addresses and connects
  to the very address it checked, so DNS rebinding between "check" and "connect" is
  impossible. Redirects are followed by hand, so every hop opens its connection through the
  same guard.
- A hostile server (never answers, drips bytes, redirects forever, endless body) is bounded
  by the per-response and per-URL deadlines, the hop limit and the body cap.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import ipaddress
import random
import re
import select
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

import httpcore
import httpx

OK = "ok"
REDIRECTED = "redirected"
BROKEN = "broken"
BLOCKED = "blocked"
TRANSIENT = "transient"
SKIPPED = "skipped"
STATES = (OK, REDIRECTED, BROKEN, BLOCKED, TRANSIENT, SKIPPED)

PERMANENT_REDIRECTS = {301, 308}
REDIRECTS = {301, 302, 303, 307, 308}
RETRYABLE_STATUSES = {408, 429, 500, 502, 503, 504}
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Not globally reachable, yet Python 3.11 calls them global: IETF protocol assignments
# (192.0.0.0/24) and the deprecated but still routable IPv6 site-local range.
NOT_GLOBAL = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("fec0::/10"))
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36"
)
YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com"}
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


@dataclass(frozen=True)
class HostRule:
    """Per-host overrides (from the admin's HostRule rows). None means "use the default"."""

    min_interval: float | None = None
    max_per_host: int | None = None
    skip: bool = False


@dataclass(frozen=True)
class CheckConfig:
    concurrency: int = 16
    per_host: int = 2
    host_interval: float = 1.0
    # Rules apply to the host and its subdomains (arxiv.org covers export.arxiv.org).
    host_rules: Mapping[str, HostRule] = field(
        default_factory=lambda: {
            "arxiv.org": HostRule(min_interval=3.0),
            "huggingface.co": HostRule(min_interval=3.0),
        }
    )
    connect_timeout: float = 5.0
    response_timeout: float = 20.0
    url_timeout: float = 90.0
    retries: int = 2
    backoff: tuple[float, ...] = (2.0, 4.0)
    jitter: float = 0.25  # up to this fraction of each backoff delay is added at random
    retry_after_cap: float = 60.0
    max_redirects: int = 10
    body_cap: int = 64 * 1024
    allow_private: bool = False
    # Exact addresses exempt from the guard; for tests that need one trusted first hop.
    allow_addresses: frozenset[str] = frozenset()
    user_agent: str = "RoadmapTracker-LinkCheck/1.0"
    browser_user_agent: str = BROWSER_USER_AGENT
    youtube_thumbnail: str = "https://img.youtube.com/vi/{id}/0.jpg"
    verify_tls: bool | ssl.SSLContext = True

    def rule_for(self, host: str) -> HostRule:
        labels = host.split(".")
        for start in range(len(labels)):
            rule = self.host_rules.get(".".join(labels[start:]))
            if rule is not None:
                return rule
        return HostRule()


@dataclass
class CheckResult:
    url: str
    state: str
    http_status: int | None = None
    final_url: str = ""
    suggested_url: str = ""
    redirects: list[dict] = field(default_factory=list)
    elapsed_ms: int = 0
    error: str = ""
    checked_url: str = ""  # differs from url when checked through a proxy such as a thumbnail

    def as_dict(self) -> dict:
        return {
            "url": self.url,
            "state": self.state,
            "http_status": self.http_status,
            "final_url": self.final_url,
            "suggested_url": self.suggested_url,
            "redirects": self.redirects,
            "elapsed_ms": self.elapsed_ms,
            "error": self.error,
        }


class AddressRefused(Exception):
    """The safety guard refused to connect (private address, bad scheme…)."""


class NameNotFound(Exception):
    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


class _Outcome(Exception):
    """Ends a check early with a final state."""

    def __init__(self, state: str, error: str, status: int | None = None):
        super().__init__(error)
        self.state = state
        self.error = error
        self.status = status


# --- URLs ------------------------------------------------------------------------------------


def normalize_url(url: str) -> str:
    """One spelling per link: fragment dropped, scheme and host lower-case, default port gone."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not host:
        return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if port and (scheme, port) not in {("http", 80), ("https", 443)}:
        netloc = f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def url_host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def youtube_video_id(url: str) -> str | None:
    """The video id of a YouTube video URL, or None (playlists and channels are not videos)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    candidate = None
    if host == "youtu.be":
        candidate = parts.path.strip("/").split("/")[0]
    elif host in YOUTUBE_HOSTS or host.endswith(".youtube.com"):
        segments = [s for s in parts.path.split("/") if s]
        if segments[:1] == ["watch"]:
            candidate = parse_qs(parts.query).get("v", [""])[0]
        elif len(segments) >= 2 and segments[0] in {"embed", "shorts", "live", "v"}:
            candidate = segments[1]
    if candidate and YOUTUBE_ID.match(candidate):
        return candidate
    return None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header given as seconds or as an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# --- The safety guard -----------------------------------------------------------------------


def address_refusal(address: str) -> str | None:
    """Why we must not connect to this IP address, or None when it is a public address."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6:
        # An IPv6 address can carry an IPv4 one; judge what it really reaches. A mapped
        # address (::ffff:a.b.c.d) is that IPv4 address on a dual-stack socket.
        if ip.ipv4_mapped is not None:
            return address_refusal(str(ip.ipv4_mapped))
        embedded = ip.sixtofour
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            reason = address_refusal(str(embedded))
            if reason:
                return reason
    checks = [
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("shared", ip.version == 4 and ip in SHARED_ADDRESS_SPACE),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("not global", not ip.is_global or any(ip in network for network in NOT_GLOBAL)),
    ]
    for reason, refused in checks:
        if refused:
            return f"refused {reason} address {ip}"
    return None


class _AsyncioStream(httpcore.AsyncNetworkStream):
    """An httpcore stream over plain asyncio streams.

    httpcore's own anyio backend opens a cancel scope around every read and write; at 16
    requests at a time that overhead was a third of the checker's CPU.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout("read timed out") from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout("write timed out") from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from exc

    async def aclose(self) -> None:
        self._writer.close()

    async def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout("TLS handshake timed out") from exc
        except (OSError, ssl.SSLError) as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return self

    def get_extra_info(self, info: str):
        if info == "is_readable":
            # httpcore asks this of idle pooled connections: readable means the server hung up.
            sock = self._writer.get_extra_info("socket")
            if sock is None:
                return True
            poller = select.poll()
            poller.register(sock.fileno(), select.POLLIN)
            return bool(poller.poll(0))
        names = {"client_addr": "sockname", "server_addr": "peername"}
        return self._writer.get_extra_info(names.get(info, info))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves names itself, refuses non-public addresses, connects to the address it checked.

    TLS still verifies the certificate against the host name: httpcore passes the URL's host
    as server_hostname (SNI), and the Host header comes from the URL as usual.
    """

    def __init__(self, *, allow_private: bool, allow_addresses: Iterable[str] = ()):
        self._allow_private = allow_private
        self._allow_addresses = set(allow_addresses)

    async def resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        try:
            # An address in the URL needs no lookup (and must not get one).
            addresses = [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            addresses = await self._lookup(host, port, timeout)
        if not self._allow_private:
            for address in addresses:
                if address in self._allow_addresses:
                    continue
                reason = address_refusal(address)
                if reason:
                    # One bad address refuses the name: a public site never needs one.
                    raise AddressRefused(f"{reason} (for {host})")
        return addresses

    async def _lookup(self, host: str, port: int, timeout: float | None) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            permanent = exc.errno in {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)}
            raise NameNotFound(f"DNS lookup failed for {host}: {exc}", permanent=permanent) from exc
        except TimeoutError as exc:
            raise NameNotFound(f"DNS lookup timed out for {host}", permanent=False) from exc
        return list(dict.fromkeys(info[4][0] for info in infos))

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = await self.resolve(host, port, timeout)
        error: Exception | None = None
        for address in addresses:
            try:
                async with asyncio.timeout(timeout):
                    reader, writer = await asyncio.open_connection(address, port)
                return _AsyncioStream(reader, writer)
            except TimeoutError as exc:
                error = httpcore.ConnectTimeout(f"connecting to {address} timed out")
                error.__context__ = exc
            except OSError as exc:
                # __context__, not __cause__: httpcore re-raises with "from None", which
                # clears the cause, and classify needs to see "connection refused".
                error = httpcore.ConnectError(str(exc))
                error.__context__ = exc
        assert error is not None
        raise error

    async def connect_unix_socket(self, *args, **kwargs):
        raise AddressRefused("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, *, config: CheckConfig, ssl_context: ssl.SSLContext, max_connections: int):
        # trust_env=False: an HTTP(S)_PROXY from the environment would bypass the guard.
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx has no public hook for the network backend; httpcore's pool has one.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(
                allow_private=config.allow_private, allow_addresses=config.allow_addresses
            ),
        )


# --- The checker ----------------------------------------------------------------------------


class _Host:
    """One host's politeness state and its own small connection pool.

    A pool per host rather than one shared pool: httpcore scans every pooled connection on
    each request, which made the shared pool the checker's main CPU cost at 16 at a time.
    """

    def __init__(self, rule: HostRule, config: CheckConfig, ssl_context: ssl.SSLContext):
        self.interval = rule.min_interval if rule.min_interval is not None else config.host_interval
        per_host = rule.max_per_host or config.per_host
        self.slots = asyncio.Semaphore(per_host)
        self.next_start = 0.0
        self.paused_until = 0.0
        self.transport = GuardedTransport(
            config=config, ssl_context=ssl_context, max_connections=per_host
        )
        self.timeouts = {
            "connect": config.connect_timeout,
            "read": config.response_timeout,
            "write": config.response_timeout,
            "pool": config.url_timeout,
        }

    async def wait_turn(self) -> None:
        """Keep the minimum interval between request starts and any Retry-After pause."""
        while True:
            now = time.monotonic()
            start = max(now, self.next_start, self.paused_until)
            if start <= now:
                self.next_start = now + self.interval
                return
            await asyncio.sleep(start - now)

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)


@functools.cache
def _default_ssl_context(verify: bool) -> ssl.SSLContext:
    # One per process, shared by every host and run: loading the CA bundle costs ~0.1 s.
    return httpx.create_ssl_context(verify=verify, trust_env=False)


class LinkChecker:
    def __init__(self, config: CheckConfig | None = None):
        self.config = config or CheckConfig()
        self._hosts: dict[str, _Host] = {}
        self._slots: asyncio.Semaphore | None = None
        self._ssl_context: ssl.SSLContext | None = None

    async def __aenter__(self) -> LinkChecker:
        config = self.config
        self._slots = asyncio.Semaphore(config.concurrency)
        self._ssl_context = (
            config.verify_tls
            if isinstance(config.verify_tls, ssl.SSLContext)
            else _default_ssl_context(config.verify_tls)
        )
        return self

    async def __aexit__(self, *exc_info) -> None:
        for host in self._hosts.values():
            await host.transport.aclose()

    async def check_many(
        self, urls: Iterable[str], on_result: Callable[[CheckResult], None] | None = None
    ) -> list[CheckResult]:
        """Check every URL (each once), calling on_result as each finishes; results in order."""

        async def one(url: str) -> CheckResult:
            result = await self.check(url)
            if on_result is not None:
                on_result(result)
            return result

        return list(await asyncio.gather(*(one(url) for url in dict.fromkeys(urls))))

    async def check(self, url: str) -> CheckResult:
        started = time.monotonic()
        result = CheckResult(url=url, state=TRANSIENT, checked_url=url)
        try:
            async with asyncio.timeout(self.config.url_timeout):
                await self._check(result)
        except TimeoutError:
            result.state = TRANSIENT
            result.error = f"no answer within {self.config.url_timeout:g} s"
        except _Outcome as outcome:
            result.state, result.error = outcome.state, outcome.error
            result.http_status = outcome.status or result.http_status
        except (httpx.InvalidURL, ValueError) as exc:
            # A URL (or a hostile site's Location) that httpx or urlsplit cannot parse, such as
            # http://0177.0.0.1/: it ends this check, never the whole run.
            result.state = SKIPPED
            result.error = f"not a URL that can be checked: {exc}"
        if result.state != REDIRECTED:
            # A check cut short after a permanent redirect (to file://, a refused address, a
            # loop) proved nothing about the target: it must not be offered as the new URL.
            result.suggested_url = ""
        result.elapsed_ms = round((time.monotonic() - started) * 1000)
        return result

    async def _check(self, result: CheckResult) -> None:
        config = self.config
        video = youtube_video_id(result.url)
        current = config.youtube_thumbnail.format(id=video) if video else result.url
        result.checked_url = current
        seen = {current}
        permanent_so_far = True
        while True:
            scheme = urlsplit(current).scheme.lower()
            if scheme not in {"http", "https"}:
                raise _Outcome(SKIPPED, f"only http and https are checked, not {scheme or '?'}:")
            host = url_host(current)
            if config.rule_for(host).skip:
                raise _Outcome(SKIPPED, f"{host} is excluded by a host rule")
            status, headers = await self._fetch(current)
            result.http_status = status
            result.final_url = current
            location = headers.get("location")
            if status not in REDIRECTS or not location:
                break
            target = urljoin(current, location)
            result.redirects.append({"url": current, "status": status, "location": target})
            if status in PERMANENT_REDIRECTS and permanent_so_far:
                result.suggested_url = target
            else:
                permanent_so_far = False
            if target in seen:
                raise _Outcome(BROKEN, f"redirect loop back to {target}", status)
            if len(result.redirects) >= config.max_redirects:
                raise _Outcome(BROKEN, f"more than {config.max_redirects} redirects", status)
            seen.add(target)
            current = target
        result.state, result.error = classify(status, headers)
        if result.state == OK and result.suggested_url and not video:
            result.state = REDIRECTED
        else:
            result.suggested_url = ""

    async def _fetch(self, url: str) -> tuple[int, httpx.Headers]:
        """One logical request: retries, the 403 browser fallback and Retry-After pauses."""
        config = self.config
        host = self._host(url_host(url))
        user_agent = config.user_agent
        tried_browser = False
        attempt = 0
        while True:
            try:
                status, headers = await self._request(host, url, user_agent)
            except AddressRefused as exc:
                raise _Outcome(SKIPPED, str(exc)) from exc
            except NameNotFound as exc:
                if exc.permanent or attempt >= config.retries:
                    raise _Outcome(BROKEN if exc.permanent else TRANSIENT, str(exc)) from exc
                error = str(exc)
            except httpx.ConnectError as exc:
                fatal = _fatal_connect_error(exc)
                if fatal:
                    raise _Outcome(BROKEN, fatal) from exc
                error = f"connection failed: {exc}"
            except (httpx.TimeoutException, TimeoutError) as exc:
                error = f"timed out: {type(exc).__name__}"
            except httpx.TransportError as exc:  # resets, protocol errors
                error = f"{type(exc).__name__}: {exc}"
            else:
                if status == 403 and not tried_browser:
                    # Some sites wall off anything that is not a browser; ask once as one.
                    tried_browser = True
                    user_agent = config.browser_user_agent
                    continue
                if status in {429, 503}:
                    wait = parse_retry_after(headers.get("retry-after"))
                    if wait is not None:
                        # The whole host waits, not just this URL: it asked us to slow down.
                        host.pause(min(wait, config.retry_after_cap))
                if status not in RETRYABLE_STATUSES or attempt >= config.retries:
                    return status, headers
                error = f"HTTP {status}"
            if attempt >= config.retries:
                raise _Outcome(TRANSIENT, error)
            delay = config.backoff[min(attempt, len(config.backoff) - 1)]
            await asyncio.sleep(delay + random.uniform(0, delay * config.jitter))
            attempt += 1

    async def _request(self, host: _Host, url: str, user_agent: str):
        assert self._slots is not None
        config = self.config
        async with host.slots:
            await host.wait_turn()
            async with self._slots:
                # Straight to the transport: redirects are ours to follow and cookies and
                # auth do not apply, so the client's extra layers would only cost CPU.
                request = httpx.Request(
                    "GET",
                    url,
                    headers={"User-Agent": user_agent, "Accept": "*/*"},
                    extensions={"timeout": host.timeouts},
                )
                async with asyncio.timeout(config.response_timeout):
                    response = await host.transport.handle_async_request(request)
                    try:
                        # Drain a small body so the connection can be reused; a large or
                        # endless one is never read (closing drops the connection instead).
                        length = response.headers.get("content-length", "")
                        if length.isdigit() and int(length) <= config.body_cap:
                            async for _ in response.stream:
                                pass
                    finally:
                        await response.aclose()
        return response.status_code, response.headers

    def _host(self, name: str) -> _Host:
        host = self._hosts.get(name)
        if host is None:
            assert self._ssl_context is not None
            rule = self.config.rule_for(name)
            host = self._hosts[name] = _Host(rule, self.config, self._ssl_context)
        return host


def classify(status: int, headers: Mapping[str, str]) -> tuple[str, str]:
    """The state of a final (non-redirect) response, after retries and fallbacks."""
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return BLOCKED, "bot challenge (cf-mitigated)"
    if 200 <= status < 300:
        return OK, ""
    if status in {404, 410}:
        return BROKEN, f"HTTP {status}"
    if status in {401, 403, 999}:
        return BLOCKED, f"HTTP {status}"
    if status in RETRYABLE_STATUSES or status >= 500:
        return TRANSIENT, f"HTTP {status}"
    # Other answers (400, 405, 451…) prove nothing about the link being gone.
    return BLOCKED, f"HTTP {status}"


def _fatal_connect_error(exc: BaseException) -> str:
    """A connection error that proves the link is dead (refused, bad certificate), or ''."""
    seen = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(
            seen
        ):
            return f"TLS certificate error: {seen}"
        if isinstance(seen, ConnectionRefusedError) or (
            isinstance(seen, OSError) and seen.errno == errno.ECONNREFUSED
        ):
            return "connection refused"
        seen = seen.__cause__ or seen.__context__
    if "refused" in str(exc).lower():
        return "connection refused"
    return ""


def check_urls(
    urls: Iterable[str],
    config: CheckConfig | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Synchronous entry point for tasks and commands."""

    async def run() -> list[CheckResult]:
        async with LinkChecker(config) as checker:
            return await checker.check_many(urls, on_result)

    return asyncio.run(run())
