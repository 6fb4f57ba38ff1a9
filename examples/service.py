"""A small service with the hazards leaklint finds. Run: leaklint check examples/"""

import requests

INVENTORY_URL = "https://inventory.internal/api/items"


def fetch_item(item_id, timeout=2.0):
    # the caller gave this request a budget; the call below ignores it
    response = requests.get(f"{INVENTORY_URL}/{item_id}")
    response.raise_for_status()
    return response.json()
