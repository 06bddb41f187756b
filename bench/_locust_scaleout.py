"""Locust users for bench/bench_scaleout.py: the public home page and map, report submissions
(the API) and SMS gateway webhooks, mixed as a crisis brings them. Run by locust (headless) in a
process of its own; reads its settings from the environment:

    SCALEOUT_SMS_PATH      the Kannel channel's webhook path (with `?key=` added here)
    SCALEOUT_SMS_SECRET    its secret
    SCALEOUT_CATEGORY      a category id for submissions
    SCALEOUT_FAILURES      a file: each failed request appends its time (the failover gap)
"""

from __future__ import annotations

import os
import random
import time
import uuid

from locust import HttpUser, between, events, task

BBOXES = ["-90,10,-80,20", "-87.4,13.9,-87.0,14.3", "-88.2,15.3,-87.8,15.7", "-89.5,12.5,-83,16.5"]
_failures = open(os.environ["SCALEOUT_FAILURES"], "a") if os.environ.get("SCALEOUT_FAILURES") else None


@events.request.add_listener
def _record_failure(request_type, name, response_time, response_length, exception=None, **kwargs):
    if exception is not None and _failures is not None:
        _failures.write(f"{time.time():.3f} {name}\n")
        _failures.flush()


class Visitor(HttpUser):
    wait_time = between(0.05, 0.2)

    @task(4)
    def home(self):
        self.client.get("/", name="home")

    @task(6)
    def map_clusters(self):
        zoom = random.choice([6, 8, 10, 12])
        self.client.get(f"/api/v1/map/clusters?bbox={random.choice(BBOXES)}&zoom={zoom}", name="map clusters")

    @task(2)
    def submit(self):
        marker = uuid.uuid4().hex[:10]
        self.client.post("/api/v1/reports", name="submit (API)", json={
            "title": "Extorsión a un comercio", "description": f"Cobran cuota en el mercado ({marker}).",
            "category": int(os.environ.get("SCALEOUT_CATEGORY", "0")) or None, "occurred_date": "2026-01-15",
            "lat": 14.08, "lon": -87.2})

    @task(3)
    def sms_webhook(self):
        marker = uuid.uuid4().hex[:12]
        self.client.get(os.environ["SCALEOUT_SMS_PATH"], name="SMS webhook", params={
            "key": os.environ["SCALEOUT_SMS_SECRET"], "from": f"+5049{random.randrange(10**7):07d}",
            "text": f"REPORTE balacera en la colonia {marker}", "id": marker})
