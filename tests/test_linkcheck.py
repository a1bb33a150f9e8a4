"""The link checker against a real, misbehaving HTTP server on 127.0.0.1.

127.0.0.1 is itself a loopback address, so the HTTP cases run with allow_private=True and
the safety-guard cases with allow_private=False. Delays and timeouts are shrunk so the whole
file runs in a few seconds; the behaviour under test is the same.
"""

import asyncio
import itertools
import socket
import time
import tracemalloc
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.linkcheck_server import GOOD_VIDEO, CaseServer
from tracker import linkcheck
from tracker.linkcheck import (
    BLOCKED,
    BROKEN,
    OK,
    REDIRECTED,
    SKIPPED,
    TRANSIENT,
    CheckConfig,
    HostRule,
    address_refusal,
    check_urls,
    normalize_url,
    parse_retry_after,
    youtube_video_id,
)


@pytest.fixture(scope="module")
def server():
    server = CaseServer().start()
    yield server
    server.stop()


@pytest.fixture
def config(server) -> CheckConfig:
    return CheckConfig(
        allow_private=True,
        host_interval=0,
        backoff=(0.01, 0.02),
        jitter=0,
        connect_timeout=1,
        response_timeout=1,
        url_timeout=3,
        youtube_thumbnail=server.url("/youtube/vi/{id}/0.jpg"),
    )


def check(url: str, config: CheckConfig) -> linkcheck.CheckResult:
    [result] = check_urls([url], config)
    return result


# --- States for each kind of answer --------------------------------------------------------


def test_a_page_that_answers_200_is_ok(server, config):
    result = check(server.url("/ok?t=ok"), config)
    assert (result.state, result.http_status, result.error) == (OK, 200, "")


@pytest.mark.parametrize("status", [404, 410])
def test_not_found_and_gone_are_broken(server, config, status):
    result = check(server.url(f"/status/{status}"), config)
    assert (result.state, result.http_status) == (BROKEN, status)


def test_a_server_error_that_clears_up_is_retried_to_ok(server, config):
    url = server.url("/flaky/500/2?t=clears")
    result = check(url, config)
    assert result.state == OK
    assert server.hits["/flaky/500/2?t=clears"] == 3  # two retries, then success


def test_a_server_error_that_persists_is_transient_after_two_retries(server, config):
    result = check(server.url("/flaky/503/99?t=persists"), config)
    assert (result.state, result.http_status) == (TRANSIENT, 503)
    assert server.hits["/flaky/503/99?t=persists"] == 3


def test_a_request_timeout_408_is_retried(server, config):
    assert check(server.url("/flaky/408/1?t=408"), config).state == OK


def test_retries_back_off_by_the_configured_delays(server, config):
    slow = replace(config, backoff=(0.2, 0.4), jitter=0)
    check(server.url("/flaky/500/99?t=backoff"), slow)
    times = [r["at"] for r in server.requests_for("/flaky/500/99?t=backoff")]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4


def test_a_rate_limit_with_retry_after_seconds_waits_then_succeeds(server, config):
    started = time.monotonic()
    result = check(server.url("/ratelimit/1?after=1&t=seconds"), config)
    assert result.state == OK
    assert time.monotonic() - started >= 0.95


def test_a_rate_limit_with_an_http_date_is_honoured(server, config):
    assert check(server.url("/ratelimit/1?after=date&t=date"), config).state == OK


def test_a_rate_limit_is_never_broken_even_when_it_persists(server, config):
    result = check(server.url("/ratelimit/99?after=0&t=persist"), config)
    assert (result.state, result.http_status) == (TRANSIENT, 429)


def test_retry_after_pauses_the_whole_host(server, config):
    polite = replace(config, per_host=1)
    limited, other = server.url("/ratelimit/1?after=1&t=host"), server.url("/ok?t=host-other")
    check_urls([limited, other], polite)
    [first_429] = [r["at"] for r in server.requests_for("/ratelimit/1?after=1&t=host")][:1]
    [other_at] = [r["at"] for r in server.requests_for("/ok?t=host-other")]
    assert other_at - first_429 >= 0.95


def test_a_huge_retry_after_is_capped(server, config):
    capped = replace(config, retry_after_cap=0.2)
    started = time.monotonic()
    assert check(server.url("/ratelimit/1?after=3600&t=cap"), capped).state == OK
    assert time.monotonic() - started < 2


def test_a_server_that_rejects_head_is_ok_because_head_is_never_sent(server, config):
    result = check(server.url("/head-405?t=head"), config)
    assert result.state == OK
    assert {r["method"] for r in server.requests} == {"GET"}


def test_requests_carry_an_honest_user_agent_and_no_range_header(server, config):
    honest = replace(config, user_agent="RoadmapTracker-LinkCheck/1.0 (+http://site.test)")
    check(server.url("/ok?t=ua"), honest)
    [request] = server.requests_for("/ok?t=ua")
    assert request["user_agent"] == "RoadmapTracker-LinkCheck/1.0 (+http://site.test)"
    assert request["range"] is None


def test_a_403_is_retried_once_with_a_browser_user_agent(server, config):
    assert check(server.url("/browsers-only?t=403"), config).state == OK
    agents = [r["user_agent"] for r in server.requests_for("/browsers-only?t=403")]
    assert len(agents) == 2 and "Mozilla" in agents[1]


def test_a_403_after_the_browser_fallback_is_blocked(server, config):
    result = check(server.url("/status/403?t=blocked"), config)
    assert (result.state, result.http_status) == (BLOCKED, 403)
    assert server.hits["/status/403?t=blocked"] == 2


def test_a_cloudflare_challenge_is_blocked(server, config):
    result = check(server.url("/cf"), config)
    assert result.state == BLOCKED
    assert "challenge" in result.error


@pytest.mark.parametrize("path", ["/linkedin", "/status/401"])
def test_linkedins_999_and_a_401_are_blocked(server, config, path):
    assert check(server.url(path), config).state == BLOCKED


def test_other_client_errors_never_count_as_broken(server, config):
    assert check(server.url("/status/400"), config).state == BLOCKED


# --- Redirects ------------------------------------------------------------------------------


def test_a_permanent_chain_is_redirected_and_suggests_the_final_url(server, config):
    result = check(server.url("/chain/301/308"), config)
    assert result.state == REDIRECTED
    assert result.suggested_url == server.url("/ok")
    assert [hop["status"] for hop in result.redirects] == [301, 308]
    assert result.redirects[0]["location"] == server.url("/chain/308")


def test_a_temporary_redirect_is_ok_and_suggests_nothing(server, config):
    result = check(server.url("/chain/302"), config)
    assert (result.state, result.suggested_url, result.final_url) == (
        OK,
        "",
        server.url("/ok"),
    )


def test_a_mixed_chain_suggests_only_the_permanent_part(server, config):
    result = check(server.url("/chain/301/302/308"), config)
    assert result.state == REDIRECTED
    assert result.suggested_url == server.url("/chain/302/308")
    assert len(result.redirects) == 3


def test_a_permanent_redirect_to_a_dead_page_is_broken(server, config):
    result = check(server.url("/to?url=/status/404"), config)
    assert (result.state, result.suggested_url) == (BROKEN, "")


def test_a_redirect_loop_is_broken(server, config):
    result = check(server.url("/loop"), config)
    assert result.state == BROKEN
    assert "loop" in result.error


def test_more_than_ten_redirects_is_broken(server, config):
    result = check(server.url("/forever/0"), config)
    assert result.state == BROKEN
    assert len(result.redirects) == 10
    assert server.hits["/forever/10"] == 0


# --- YouTube --------------------------------------------------------------------------------


def test_a_youtube_video_is_checked_through_its_thumbnail(server, config):
    alive = check(f"https://www.youtube.com/watch?v={GOOD_VIDEO}", config)
    removed = check("https://youtu.be/bbbbbbbbbbb", config)
    assert (alive.state, removed.state) == (OK, BROKEN)
    assert alive.url == f"https://www.youtube.com/watch?v={GOOD_VIDEO}"
    assert server.hits[f"/youtube/vi/{GOOD_VIDEO}/0.jpg"] >= 1


def test_youtube_video_ids_are_found_in_every_url_shape():
    vid = "dQw4w9WgXcQ"
    for url in [
        f"https://www.youtube.com/watch?v={vid}&t=42",
        f"https://m.youtube.com/watch?v={vid}",
        f"https://youtu.be/{vid}",
        f"https://www.youtube.com/embed/{vid}",
        f"https://www.youtube.com/shorts/{vid}",
    ]:
        assert youtube_video_id(url) == vid, url
    assert youtube_video_id("https://www.youtube.com/playlist?list=PL123") is None
    assert youtube_video_id("https://example.com/watch?v=dQw4w9WgXcQ") is None


# --- Hostile servers ------------------------------------------------------------------------


def test_a_server_that_never_answers_is_transient_within_the_deadline(server, config):
    started = time.monotonic()
    result = check(server.url("/never"), replace(config, response_timeout=0.3, url_timeout=2))
    assert result.state == TRANSIENT
    assert time.monotonic() - started < 2.5


def test_a_slow_drip_cannot_outlast_the_per_url_deadline(server, config):
    # The drip keeps every read under the read timeout; only the URL deadline stops it.
    patient = replace(config, response_timeout=30, url_timeout=0.8)
    started = time.monotonic()
    result = check(server.url("/drip"), patient)
    assert result.state == TRANSIENT
    assert "0.8" in result.error
    assert time.monotonic() - started < 1.5


def test_an_endless_body_is_not_read(server, config):
    tracemalloc.start()
    try:
        result = check(server.url("/endless"), config)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.state == OK
    assert peak < 5_000_000


def test_a_refused_connection_is_broken():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = check(f"http://127.0.0.1:{port}/", CheckConfig(allow_private=True))
    assert (result.state, result.error) == (BROKEN, "connection refused")


def test_an_unknown_host_name_is_broken(monkeypatch):
    async def no_such_name(self, host, port, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", no_such_name)
    result = check("https://no-such-host.example/", CheckConfig())
    assert result.state == BROKEN
    assert "DNS" in result.error


def test_a_temporary_dns_failure_is_transient(monkeypatch):
    async def try_again(self, host, port, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", try_again)
    config = CheckConfig(backoff=(0.01,), jitter=0, host_interval=0)
    assert check("https://flaky-dns.example/", config).state == TRANSIENT


# --- The safety guard -----------------------------------------------------------------------


def test_loopback_is_refused_unless_private_addresses_are_allowed(server, config):
    guarded = replace(config, allow_private=False)
    result = check(server.url("/ok?t=guard"), guarded)
    assert result.state == SKIPPED
    assert "loopback" in result.error
    assert server.hits["/ok?t=guard"] == 0  # refused before connecting


def test_a_name_resolving_to_loopback_is_refused(server, config):
    port = server.server_address[1]
    result = check(f"http://localhost:{port}/ok?t=name", replace(config, allow_private=False))
    assert result.state == SKIPPED
    assert server.hits["/ok?t=name"] == 0


def test_a_redirect_to_a_private_address_is_refused_at_that_hop(server, config):
    # The first hop is trusted explicitly so the guard is exercised on the redirect itself.
    guarded = replace(config, allow_private=False, allow_addresses=frozenset({"127.0.0.1"}))
    result = check(server.url("/to-private"), guarded)
    assert result.state == SKIPPED
    assert "169.254.169.254" in result.error
    assert result.redirects[0]["location"] == "http://169.254.169.254/latest/meta-data/"


@pytest.mark.parametrize("target", ["127.0.0.2", "[::1]", "[::ffff:127.0.0.1]"])
def test_a_redirect_to_another_loopback_address_is_refused(server, config, target):
    port = server.server_address[1]
    guarded = replace(config, allow_private=False, allow_addresses=frozenset({"127.0.0.1"}))
    result = check(server.url(f"/to?url=http://{target}:{port}/ok"), guarded)
    assert result.state == SKIPPED
    assert "loopback" in result.error


@pytest.mark.parametrize("url", ["ftp://example.com/file", "file:///etc/passwd", "gopher://x/"])
def test_only_http_and_https_are_checked(url):
    assert check(url, CheckConfig()).state == SKIPPED


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "224.0.0.1",
        "240.0.0.1",
        "0.0.0.0",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "64:ff9b::7f00:1",
        "2002:c0a8:101::1",
    ],
)
def test_non_public_addresses_are_refused_ipv6_included(address):
    assert address_refusal(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert address_refusal(address) is None


def test_a_host_rule_can_exclude_a_host(server, config):
    excluded = replace(config, host_rules={"127.0.0.1": HostRule(skip=True)})
    result = check(server.url("/ok?t=excluded"), excluded)
    assert result.state == SKIPPED
    assert server.hits["/ok?t=excluded"] == 0


# --- Politeness -----------------------------------------------------------------------------


def test_no_more_than_two_requests_at_once_per_host(config):
    quiet = CaseServer().start()  # its own server: hostile cases elsewhere hold connections
    try:
        check_urls([quiet.url(f"/hold?s=0.15&t={n}") for n in range(6)], config)
    finally:
        quiet.stop()
    assert quiet.max_in_flight == 2


def test_total_concurrency_is_capped_across_hosts(config):
    servers = [CaseServer(f"127.0.0.{n}").start() for n in (1, 2, 3)]
    try:
        wide = replace(config, concurrency=4, per_host=3)
        check_urls([s.url(f"/hold?s=0.2&t=total-{n}") for s in servers for n in range(3)], wide)
        arrivals = sorted(r["at"] for s in servers for r in s.requests)
    finally:
        for s in servers:
            s.stop()
    # Each request is held 0.2 s, so requests arriving within 0.19 s of each other overlap.
    overlapping = max(sum(1 for b in arrivals if a - 0.19 <= b <= a) for a in arrivals)
    assert overlapping == 4


def test_requests_to_one_host_keep_the_minimum_interval(server, config):
    spaced = replace(config, host_interval=0.25)
    check_urls([server.url(f"/ok?t=interval-{n}") for n in range(3)], spaced)
    starts = sorted(server.requests_for(f"/ok?t=interval-{n}")[0]["at"] for n in range(3))
    # Measured where the server reads the request, so a new connection can shave a little.
    assert starts[1] - starts[0] >= 0.2 and starts[2] - starts[1] >= 0.2
    assert starts[2] - starts[0] >= 0.45


def test_arxiv_and_hugging_face_default_to_three_seconds():
    config = CheckConfig()
    assert config.rule_for("export.arxiv.org").min_interval == 3.0
    assert config.rule_for("huggingface.co").min_interval == 3.0
    assert config.rule_for("example.com").min_interval is None


# --- Plain functions ------------------------------------------------------------------------


def test_urls_are_normalised_without_fragment_and_with_lowercase_host():
    assert normalize_url("HTTPS://Example.COM:443/Path?q=1#section") == (
        "https://example.com/Path?q=1"
    )
    assert normalize_url("http://example.com") == "http://example.com/"
    assert normalize_url("http://example.com:8080/x") == "http://example.com:8080/x"


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon") is None


def test_results_serialise_with_the_documented_keys(server, config):
    result = check(server.url("/chain/301"), config)
    assert set(result.as_dict()) == {
        "url",
        "state",
        "http_status",
        "final_url",
        "suggested_url",
        "redirects",
        "elapsed_ms",
        "error",
    }


# --- TLS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    import shutil
    import ssl
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    server = CaseServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.start()
    yield server, cert
    server.stop()


def test_a_certificate_nobody_vouches_for_is_broken(tls_server, config):
    server, _ = tls_server
    port = server.server_address[1]
    result = check(f"https://localhost:{port}/ok", config)
    assert result.state == BROKEN
    assert "certificate" in result.error.lower()


def test_tls_is_verified_against_the_host_name_while_connecting_to_the_checked_address(
    tls_server, config
):
    import ssl

    server, cert = tls_server
    port = server.server_address[1]
    trusting = replace(config, verify_tls=ssl.create_default_context(cafile=str(cert)))
    assert check(f"https://localhost:{port}/ok", trusting).state == OK
    # The same server by address: the certificate names localhost, not 127.0.0.1.
    assert check(f"https://127.0.0.1:{port}/ok", trusting).state == BROKEN


# --- Properties -----------------------------------------------------------------------------


@given(
    scheme=st.sampled_from(["http", "HTTP", "https", "HtTpS"]),
    host=st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,10}(\.[A-Za-z]{2,5}){1,2}", fullmatch=True),
    port=st.sampled_from(["", ":80", ":443", ":8080"]),
    path=st.from_regex(r"(/[A-Za-z0-9._~-]{0,8}){0,3}", fullmatch=True),
    query=st.sampled_from(["", "?a=1", "?q=A%20B&x=y"]),
    fragment=st.sampled_from(["", "#top", "#a/b"]),
)
def test_normalising_twice_changes_nothing_and_drops_the_fragment(
    scheme, host, port, path, query, fragment
):
    url = f"{scheme}://{host}{port}{path}{query}{fragment}"
    once = normalize_url(url)
    assert normalize_url(once) == once
    assert "#" not in once
    netloc = once.split("://")[1].split("/")[0]
    assert netloc == netloc.lower()
    default_port = {"http": ":80", "https": ":443"}[scheme.lower()]
    assert not netloc.endswith(default_port)


@given(st.ip_addresses(v=4))
def test_an_ipv4_address_is_judged_the_same_when_mapped_into_ipv6(address):
    mapped = f"::ffff:{address}"
    assert (address_refusal(str(address)) is None) == (address_refusal(mapped) is None)


# --- The safety guard: other spellings of a private address (security review) ---------------


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",  # 127.0.0.1 as one decimal number
        "0177.0.0.1",  # octal
        "0x7f.0.0.1",  # hexadecimal
        "127.1",  # shorthand
        "0",  # 0.0.0.0, which Linux connects to this machine
        "127.0.0.1.",  # a trailing dot
        "good.example@127.0.0.1",  # userinfo: the host is what follows the @
        "[::ffff:7f00:1]",  # IPv4-mapped, hexadecimal
        "localhost.",
    ],
)
def test_other_spellings_of_this_machine_are_never_connected_to(server, config, host):
    port = server.server_address[1]
    marker = f"/ok?t=spelling-{host}"
    result = check(f"http://{host}:{port}{marker}", replace(config, allow_private=False))
    # Refused by the guard, or a name the resolver does not know: either way, no request.
    assert result.state in {SKIPPED, BROKEN}
    assert server.hits[marker] == 0


def test_a_redirect_to_a_url_that_cannot_be_parsed_ends_that_check_not_the_run(server, config):
    # A hostile site's Location must not raise out of check_urls and lose every result.
    urls = [server.url("/to?url=http://0177.0.0.1/"), server.url("/to?url=http://[::1/")]
    results = check_urls([*urls, server.url("/ok?t=after-bad")], config)
    assert [r.state for r in results] == [SKIPPED, SKIPPED, OK]
    assert "0177.0.0.1" in results[0].error


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "http://2130706434/", "http://0/", "http://[::]/"]
)
def test_a_redirect_to_a_file_or_to_this_machine_in_disguise_is_refused(server, config, target):
    guarded = replace(config, allow_private=False, allow_addresses=frozenset({"127.0.0.1"}))
    result = check(server.url(f"/to?url={target}"), guarded)
    assert result.state == SKIPPED
    assert result.redirects[0]["location"] == target


@pytest.mark.parametrize(
    "address",
    [
        "fec0::1",  # site-local (deprecated, still routed on some networks)
        "192.0.0.8",  # IETF protocol assignments: not globally reachable
        "::7f00:1",  # IPv4-compatible (deprecated) form of 127.0.0.1
        "64:ff9b:1::a00:1",  # local-use NAT64 (RFC 8215) of 10.0.0.1
        "2001::1",  # Teredo
        "fe80::1%eth0",  # link-local with a zone
    ],
)
def test_rarer_non_public_addresses_are_refused(address):
    assert address_refusal(address)


def test_the_connection_goes_to_the_address_that_was_checked_not_a_second_lookup(
    server, config, monkeypatch
):
    # DNS rebinding: a name answers a harmless address to the check and a private one after.
    # The guard looks the name up once and connects to that very address: the name below
    # does not exist for the system resolver, so any second lookup would fail the check.
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    lookups = []

    async def rebinding_lookup(self, host, port, timeout):
        lookups.append(host)
        return next(answers)

    monkeypatch.setattr(linkcheck.GuardedBackend, "_lookup", rebinding_lookup)
    port = server.server_address[1]
    trusting = replace(config, allow_private=False, allow_addresses=frozenset({"127.0.0.1"}))
    result = check(f"http://rebind.invalid:{port}/ok?t=rebind", trusting)
    assert (result.state, lookups) == (OK, ["rebind.invalid"])
    assert server.hits["/ok?t=rebind"] == 1


def test_a_permanent_redirect_that_is_refused_suggests_nothing(monkeypatch):
    # Only a redirect that ends in a page that works may be offered as the link's new URL.
    async def moved(self, url):
        return 301, linkcheck.httpx.Headers({"location": "file:///etc/passwd"})

    monkeypatch.setattr(linkcheck.LinkChecker, "_fetch", moved)
    result = check("https://example.com/moved", CheckConfig())
    assert result.state == SKIPPED
    assert result.suggested_url == ""
