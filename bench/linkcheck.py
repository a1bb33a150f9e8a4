#!/usr/bin/env python3
"""How fast is our link checker next to lychee and LinkChecker?

Serves 500 URLs from 25 local hosts (127.0.0.2 … 127.0.0.26, so per-host limits see 25
hosts), each response 100 ms late, then times three runs with 16 requests at a time and no
per-host interval:

  bare asyncio keep-alive GETs over plain sockets: the floor on this machine, for scale
  ours         tracker.linkcheck (private addresses allowed, as in tests)
  lychee       lychee --max-concurrency 16 --host-request-interval 0ms <file of URLs>
  LinkChecker  linkchecker --threads 16 --check-extern <HTML page listing the URLs>

The ideal is ceil(500 / 16) × 0.1 s = 3.2 s. Targets: ours within 1.1× the ideal and at
least 3× faster than LinkChecker.

    .venv/bin/python bench/linkcheck.py             # all three (others skipped if missing)
    .venv/bin/python bench/linkcheck.py --install   # pip-install bench/requirements.txt first

The server runs in a child process so it does not share the GIL with the checker under test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n"


# --- The slow server (child process) --------------------------------------------------------


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, latency: float):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(latency)
            writer.write(RESPONSE if head.startswith(b"HEAD ") else RESPONSE + b"ok")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def _serve(hosts: int, latency: float) -> None:
    servers, addresses = [], []
    for n in range(hosts):
        host = f"127.0.0.{n + 2}"
        server = await asyncio.start_server(
            lambda r, w: _handle(r, w, latency), host, 0, backlog=1024
        )
        servers.append(server)
        addresses.append([host, server.sockets[0].getsockname()[1]])
    print(json.dumps(addresses), flush=True)
    await asyncio.Event().wait()


def start_server(hosts: int, latency: float) -> tuple[subprocess.Popen, list[tuple[str, int]]]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(hosts), str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    addresses = json.loads(process.stdout.readline())
    return process, [tuple(a) for a in addresses]


# --- The runs -------------------------------------------------------------------------------


def _ours_in_this_process(url_file: str, concurrency: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tracker.linkcheck import OK, CheckConfig, check_urls

    urls = Path(url_file).read_text().split()
    config = CheckConfig(concurrency=concurrency, host_interval=0, allow_private=True)
    started = time.perf_counter()
    results = check_urls(urls, config)
    elapsed = time.perf_counter() - started
    ok = sum(result.state == OK for result in results)
    print(json.dumps({"elapsed": elapsed, "ok": ok}))


def run_ours(urls: list[str], concurrency: int, workdir: Path) -> tuple[float, str]:
    """A fresh process per run, timed inside it: interpreter start and imports (about 0.3 s)
    are left out, as a worker process pays them once, not per run."""
    return _run_child("ours", urls, concurrency, workdir)


def _run_child(which: str, urls: list[str], concurrency: int, workdir: Path):
    url_file = workdir / "urls.txt"
    url_file.write_text("\n".join(urls) + "\n")
    command = [sys.executable, __file__, "--run", which, str(url_file), str(concurrency)]
    done = subprocess.run(command, capture_output=True, text=True, env=_clean_env(), check=True)
    outcome = json.loads(done.stdout.splitlines()[-1])
    return outcome["elapsed"], f"{outcome['ok']}/{len(urls)} ok"


async def _bare_asyncio(urls: list[str], concurrency: int) -> None:
    """The machine's floor: keep-alive GETs over bare asyncio sockets, no HTTP library."""
    slots = asyncio.Semaphore(concurrency)
    idle: dict[tuple[str, int], list] = {}

    async def get(url: str) -> None:
        parts = urlsplit(url)
        origin = (parts.hostname, parts.port)
        async with slots:
            pool = idle.setdefault(origin, [])
            reader, writer = pool.pop() if pool else await asyncio.open_connection(*origin)
            writer.write(f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(2)
            pool.append((reader, writer))

    await asyncio.gather(*(get(url) for url in urls))


def _in_this_process(which: str, url_file: str, concurrency: int) -> None:
    urls = Path(url_file).read_text().split()
    if which == "floor":
        started = time.perf_counter()
        asyncio.run(_bare_asyncio(urls, concurrency))
        print(json.dumps({"elapsed": time.perf_counter() - started, "ok": len(urls)}))
        return
    _ours_in_this_process(url_file, concurrency)


def run_floor(urls: list[str], concurrency: int, workdir: Path) -> tuple[float, str]:
    return _run_child("floor", urls, concurrency, workdir)


def _clean_env() -> dict:
    # A proxy from the environment would measure the proxy, not the checker.
    return {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}


def run_lychee(urls: list[str], concurrency: int, workdir: Path) -> tuple[float, str] | None:
    lychee = shutil.which("lychee", path=str(BIN)) or shutil.which("lychee")
    if not lychee:
        return None
    url_file = workdir / "urls.txt"
    url_file.write_text("\n".join(urls) + "\n")
    command = [
        lychee,
        "--no-progress",
        "--max-concurrency",
        str(concurrency),
        "--host-request-interval",
        "0ms",
        str(url_file),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=_clean_env(), cwd=workdir)
    elapsed = time.perf_counter() - started
    return elapsed, f"exit {done.returncode}"


def run_linkchecker(urls: list[str], concurrency: int, workdir: Path) -> tuple[float, str] | None:
    linkchecker = shutil.which("linkchecker", path=str(BIN)) or shutil.which("linkchecker")
    if not linkchecker:
        return None
    page = workdir / "links.html"
    links = "\n".join(f'<li><a href="{url}">{n}</a></li>' for n, url in enumerate(urls))
    page.write_text(f"<!doctype html><title>links</title><ul>\n{links}\n</ul>\n")
    # LinkChecker drops root privileges to "nobody", who must be able to read the page.
    workdir.chmod(0o755)
    page.chmod(0o644)
    command = [
        linkchecker,
        "--threads",
        str(concurrency),
        "--check-extern",
        "--no-status",
        "--output",
        "none",
        str(page),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=_clean_env())
    elapsed = time.perf_counter() - started
    return elapsed, f"exit {done.returncode}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=500)
    parser.add_argument("--hosts", type=int, default=25)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--only-ours", action="store_true", help="Skip lychee and LinkChecker.")
    parser.add_argument(
        "--install", action="store_true", help="pip-install bench/requirements.txt first."
    )
    parser.add_argument("--repeat", type=int, default=3, help="Runs per checker (median).")
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--run", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve:
        asyncio.run(_serve(int(args.serve[0]), float(args.serve[1])))
        return
    if args.run:
        _in_this_process(args.run[0], args.run[1], int(args.run[2]))
        return
    if args.install:
        requirements = ROOT / "bench" / "requirements.txt"
        pip = [sys.executable, "-m", "pip", "install", "-r", str(requirements)]
        subprocess.run(pip, check=True)

    process, addresses = start_server(args.hosts, args.latency)
    try:
        urls = [
            f"http://{host}:{port}/page/{n}"
            for n in range(args.urls)
            for host, port in [addresses[n % len(addresses)]]
        ]
        ideal = math.ceil(args.urls / args.concurrency) * args.latency
        print(
            f"{args.urls} URLs on {args.hosts} hosts, {args.latency * 1000:.0f} ms per response, "
            f"concurrency {args.concurrency}, no per-host interval"
        )
        print(f"{'ideal':<12} {ideal:6.2f} s")
        runners = [("bare asyncio", run_floor), ("ours", run_ours)]
        if not args.only_ours:
            runners += [("lychee", run_lychee), ("LinkChecker", run_linkchecker)]
        medians = {}
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            for name, runner in runners:
                if runner(urls[:1], args.concurrency, workdir) is None:  # also warms the disk
                    hint = ".venv/bin/pip install -r bench/requirements.txt"
                    print(f"{name:<12} not installed: {hint}")
                    continue
                runs = [runner(urls, args.concurrency, workdir) for _ in range(args.repeat)]
                times = sorted(elapsed for elapsed, _ in runs)
                median = medians[name] = statistics.median(times)
                line = (
                    f"{name:<12} {median:6.2f} s  {median / ideal:.2f}× ideal  "
                    f"(median of {len(times)}, best {times[0]:.2f} s; {runs[-1][1]})"
                )
                if name not in {"ours", "bare asyncio"} and "ours" in medians:
                    ratio = median / medians["ours"]
                    line += (
                        f"  ours is {ratio:.1f}× faster"
                        if ratio >= 1
                        else f"  ours takes {1 / ratio:.2f}× as long"
                    )
                print(line, flush=True)
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()
