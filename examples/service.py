"""A small service with the hazards leaklint finds. Run: leaklint check examples/"""

import asyncio
import functools
import queue
import time

import requests
from flask import Flask, request
from prometheus_client import Counter

app = Flask(__name__)
INVENTORY_URL = "https://inventory.internal/api/items"
REQUESTS = Counter("http_requests_total", "Requests served", ["path"])
WORK = queue.Queue()


def fetch_item(item_id, timeout=2.0):
    # the caller gave this request a budget; the call below ignores it
    response = requests.get(f"{INVENTORY_URL}/{item_id}")
    response.raise_for_status()
    return response.json()


@app.route("/items/<item_id>")
def item_view(item_id):
    # every distinct URL becomes its own time series
    REQUESTS.labels(path=request.path).inc()
    return fetch_item(item_id)


@functools.lru_cache(maxsize=None)
def permissions(user_id):
    try:
        return requests.get(f"https://authz.internal/users/{user_id}", timeout=1).json()
    except requests.RequestException:
        # a network blip is now remembered as "no permissions" for the life of the process
        return {}


async def refresh_loop():
    while True:
        time.sleep(30)  # blocks the event loop for every other request
        asyncio.create_task(refresh_once())  # nobody keeps a reference: the task may vanish


async def refresh_once():
    await asyncio.sleep(0)


def export(path):
    out = open(path, "w")
    out.write("done")
