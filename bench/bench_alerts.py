"""Early-warning figures: finding the recipients of one report among 100,000 subscribers and 2,000
zone polygons; queueing a 100,000-message broadcast on SQLite; the dispatcher's sustained rate
against a local Kannel-style `sendsms` endpoint (a threaded HTTP server on loopback).

Prints JSON lines {"name","value","unit","target","n"}, on SQLite and then on PostgreSQL (with
TESTIGO_BENCH_POSTGRES_URL). TESTIGO_BENCH_QUICK=1: under a minute per backend;
TESTIGO_BENCH_MATCHING_ONLY=1: the recipients' figure only.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

QUICK = _seed.QUICK
SUBSCRIBERS = 10_000 if QUICK else 100_000
ZONES = 2_000
DISPATCH = 2_000 if QUICK else 20_000
REPORTS = 100 if QUICK else 400  # reports whose recipients are timed
S, W, N, E = _seed.COUNTRY


def seed_zones(rng: random.Random) -> None:
    from testigo.alerts.models import Zone
    from testigo.alerts.zones import bump_version

    cols, rows = 50, ZONES // 50
    dx, dy = (E - W) / cols, (N - S) / rows
    zones = []
    for i in range(cols):
        for j in range(rows):
            x, y = W + i * dx, S + j * dy
            # An irregular octagon per cell, like a municipality boundary's rough shape.
            ring = [(x + dx / 2 + dx / 2 * rng.uniform(0.8, 1.0) * c, y + dy / 2 + dy / 2 * rng.uniform(0.8, 1.0) * s)
                    for c, s in ((1, 0), (0.7, 0.7), (0, 1), (-0.7, 0.7), (-1, 0), (-0.7, -0.7), (0, -1), (0.7, -0.7))]
            name = f"Zona {i}-{j}"
            zones.append(Zone(name_es=name, key=name.lower(), geometry={"type": "Polygon",
                                                                          "coordinates": [ring + [ring[0]]]}))
    Zone.objects.bulk_create(zones, batch_size=500)
    bump_version()


def seed_subscribers(rng: random.Random) -> None:
    from django.utils import timezone

    from testigo.alerts.models import Subscription, Zone
    from testigo.channels.models import Contact

    now = timezone.now()
    zone_ids = list(Zone.objects.values_list("pk", flat=True))
    Contact.objects.bulk_create([Contact(scheme="tel", address=f"+5049{i:07d}", language="es")
                                 for i in range(SUBSCRIBERS)], batch_size=2000)
    contacts = list(Contact.objects.values_list("pk", flat=True))
    subs = []
    for k, contact_id in enumerate(contacts):
        lat, lon = _seed._point(rng)
        point = k % 10 < 3  # 30 % "within N km of this point", 70 % zones
        subs.append(Subscription(contact_id=contact_id, confirmed_at=now, language="es" if k % 4 else "en",
                                 lat=lat if point else None, lon=lon if point else None,
                                 radius_m=rng.choice([1000, 2000, 5000, 10000]) if point else None))
    Subscription.objects.bulk_create(subs, batch_size=2000)
    through = Subscription.zones.through
    links = [through(subscription_id=pk, zone_id=rng.choice(zone_ids))
             for pk, lat in Subscription.objects.values_list("pk", "lat") if lat is None]
    through.objects.bulk_create(links, batch_size=5000)
    # A fifth of the people chose categories: one of a parent's two children, or the parent.
    from testigo.reports.models import Category

    parent = Category.objects.create(slug="violencia", name_es="Violencia", name_en="Violence")
    chosen = [parent, *(Category.objects.create(slug=f"violencia-{i}", name_es=f"Violencia {i}", parent=parent)
                        for i in range(2))]
    links = Subscription.categories.through
    links.objects.bulk_create([links(subscription_id=pk, category_id=rng.choice(chosen).pk)
                               for pk in Subscription.objects.values_list("pk", flat=True) if rng.random() < 0.2],
                              batch_size=5000)


class Reference:
    """The comparison point of issue #19: everything in memory, one shapely STRtree over the zone
    polygons and one over the boxes of the subscribers' circles, exact distance on the candidates."""

    def __init__(self) -> None:
        from shapely import STRtree, box
        from shapely.geometry import shape

        from testigo.alerts import geometry, selectors
        from testigo.alerts.models import Subscription, Zone

        zones = list(Zone.objects.filter(is_active=True).values_list("pk", "geometry"))
        self.zone_ids = [pk for pk, _g in zones]
        self.zone_tree = STRtree([shape(g) for _pk, g in zones])
        active = selectors.active_subscriptions()
        self.by_zone: dict[int, list[int]] = {}
        for sub_id, zone_id in active.filter(zones__isnull=False).values_list("id", "zones__id"):
            self.by_zone.setdefault(zone_id, []).append(sub_id)
        self.points = list(active.filter(radius_m__isnull=False).values_list("id", "lat", "lon", "radius_m"))
        boxes = []
        for _id, lat, lon, radius in self.points:
            min_lat, max_lat, min_lon, max_lon = geometry.degrees_box(lat, lon, radius)
            boxes.append(box(min_lon, min_lat, max_lon, max_lat))
        self.point_tree = STRtree(boxes)
        self.categories: dict[int, set[int]] = {}
        for sub_id, cat_id in Subscription.categories.through.objects.values_list("subscription_id", "category_id"):
            self.categories.setdefault(sub_id, set()).add(cat_id)
        self.haversine = geometry.haversine_m

    def recipients(self, lat: float, lon: float, wanted: set[int]) -> set[tuple[int, str]]:
        from shapely.geometry import Point

        here = Point(lon, lat)
        found = {(sub_id, f"z{self.zone_ids[i]}") for i in self.zone_tree.query(here, predicate="intersects")
                 for sub_id in self.by_zone.get(self.zone_ids[i], ())}
        for i in self.point_tree.query(here):
            sub_id, s_lat, s_lon, radius = self.points[i]
            if self.haversine(lat, lon, s_lat, s_lon) <= radius:
                found.add((sub_id, f"s{sub_id}"))
        return {(s, a) for s, a in found if not self.categories.get(s) or self.categories[s] & wanted}


def _percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return round(ordered[max(0, math.ceil(len(ordered) * share) - 1)], 2)


def bench_matching(rng: random.Random, backend: str) -> None:
    """Right after the seed (PostgreSQL has no statistics on the new rows yet, as after a bulk
    sign-up), then on PostgreSQL once more after ANALYZE (what autovacuum soon gives it)."""
    _bench_matching(rng, backend, "")
    if backend == "postgres":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        _bench_matching(rng, backend, "_analyzed")


def _bench_matching(rng: random.Random, backend: str, suffix: str) -> None:
    from testigo.alerts import selectors

    selectors.recipients_at(lat=14.07, lon=-87.19, category_ids=None)  # build the zone index once
    start = time.perf_counter()
    reference = Reference()
    build_s = time.perf_counter() - start
    from testigo.reports.models import Category

    category = Category.objects.get(slug="violencia-0").pk  # the reports' category
    wanted = selectors._with_ancestors({category})
    points = [_seed._point(rng) for _i in range(REPORTS)]
    times, ref_times, found, mismatches = [], [], [], 0
    for lat, lon in points:
        start = time.perf_counter()
        got = selectors.recipients_at(lat=lat, lon=lon, category_ids={category})
        times.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        expected = reference.recipients(lat, lon, wanted)
        ref_times.append((time.perf_counter() - start) * 1000)
        found.append(len(got))
        mismatches += {(r.subscription_id, r.area_key) for r in got} != expected
    p50, p95 = _percentile(times, 0.5), _percentile(times, 0.95)
    ref_p50, ref_p95 = _percentile(ref_times, 0.5), _percentile(ref_times, 0.95)
    _seed.emit(f"alerts.{backend}.recipients_of_one_report_p95{suffix}", p95, "ms", 10, SUBSCRIBERS, p50_ms=p50, zones=ZONES,
               reports=REPORTS, mean_recipients=round(statistics.mean(found), 1),
               strtree_p50_ms=ref_p50, strtree_p95_ms=ref_p95, strtree_build_s=round(build_s, 2),
               ratio_p50=round(p50 / max(ref_p50, 0.001), 1), ratio_p95=round(p95 / max(ref_p95, 0.001), 1),
               same_recipients=mismatches == 0, mismatched_reports=mismatches,
               note="selectors.recipients_at (zones + own-radius point subscribers, categories) vs an in-memory "
                    "shapely STRtree reference on the same rows")
    if mismatches:
        print(f"# WARNING: {mismatches} of {REPORTS} reports got different recipients from the reference",
              file=sys.stderr)


def bench_queue(port: int, backend: str) -> None:
    from testigo.alerts import services
    from testigo.channels import services as channel_services
    from testigo.core import roles

    channel = channel_services.add_channel(
        actor=roles.SYSTEM, type_code="kannel", name="bench", rate_per_second=1000,
        config={"secret": "k", "username": "u", "password": "p",
                "sendsms_url": f"http://127.0.0.1:{port}/cgi-bin/sendsms"})
    # The form caps a channel at 1,000/s; lift the throttle here to measure the dispatcher itself.
    type(channel).objects.filter(pk=channel.pk).update(rate_per_second=100_000)
    alert = services.create_broadcast(actor=roles.SYSTEM, message_es="Aviso: evite el centro por manifestaciones.",
                                      message_en="Notice: avoid downtown, protests.", everyone=True)
    start = time.perf_counter()
    queued = services.send_alert(actor=roles.SYSTEM, alert=alert)
    elapsed = time.perf_counter() - start
    _seed.emit(f"alerts.{backend}.queue_broadcast", round(elapsed, 2), "s", 5, queued, per_second=round(queued / elapsed))


def bench_dispatch(backend: str) -> None:
    from testigo.channels import outbox
    from testigo.channels.models import Channel, OutboundMessage

    channel = Channel.objects.get(name="bench")
    outbox.send_bulk(channel_id=channel.pk, max_messages=200)  # warm up code paths
    before = OutboundMessage.objects.filter(status="sent").count()
    start = time.perf_counter()
    sent = outbox.send_bulk(channel_id=channel.pk, max_messages=DISPATCH, max_seconds=600)
    elapsed = time.perf_counter() - start
    recorded = OutboundMessage.objects.filter(status="sent").count() - before
    assert recorded == sent, (recorded, sent)
    _seed.emit(f"alerts.{backend}.dispatch_rate", round(sent / elapsed), "messages/s", 1000, sent,
               note="channels.outbox.send_bulk (batched claim, 16 parallel sendsms calls), Kannel type, gateway in "
                    "another process on loopback")


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Kannel's sendsms in miniature: read a request head, answer 202 "0: Accepted for delivery"."""
    body = b"0: Accepted for delivery"
    head = (b"HTTP/1.1 202 Accepted\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body))
    try:
        while True:
            request = await reader.readuntil(b"\r\n\r\n")
            writer.write(head + body)
            await writer.drain()
            if b"connection: close" in request.lower():
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    writer.close()


def serve_gateway() -> None:
    """A local stand-in for Kannel's smsbox (a real C gateway answers far faster than we send)."""

    async def run() -> None:
        server = await asyncio.start_server(_answer, "127.0.0.1", 0, backlog=1024)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(run())


def run(backend: str) -> None:
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = False
    settings.CHANNEL_BASE_URL = "http://127.0.0.1:8000"
    rng = random.Random(7)
    start = time.perf_counter()
    seed_zones(rng)
    seed_subscribers(rng)
    print(f"\n# {backend}: seeded {SUBSCRIBERS} subscribers and {ZONES} zones in {time.perf_counter() - start:.1f} s",
          file=sys.stderr)
    bench_matching(rng, backend)
    if os.environ.get("TESTIGO_BENCH_MATCHING_ONLY"):
        return
    # The gateway runs in its own process, as Kannel would: it must not share our interpreter's GIL.
    gateway = subprocess.Popen([sys.executable, __file__, "gateway"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(gateway.stdout.readline())
        bench_queue(port, backend)
        bench_dispatch(backend)
    finally:
        gateway.terminate()
        gateway.wait()


def main() -> None:
    os.environ["TESTIGO_ALLOW_PRIVATE_GATEWAYS"] = "1"  # the bench's gateway listens on 127.0.0.1
    _seed.run_on_both("alerts", run, __file__)


if __name__ == "__main__":
    serve_gateway() if sys.argv[1:] == ["gateway"] else main()
