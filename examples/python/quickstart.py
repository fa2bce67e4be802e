"""Freshet from Python, as in a notebook: features for a few users, then an event pushed.

Start the demo first (deploy/bin/freshet demo), then:

    PYTHONPATH=clients/python python3 examples/python/quickstart.py

FRESHET_URL names another gateway (default http://localhost:8080), FRESHET_TOKEN its token
when auth is on, FRESHET_USERS the users to look up (comma-separated; default user_1..user_5).
"""

import os
import time

from freshet_client import FreshetClient, FreshetError

url = os.environ.get("FRESHET_URL", "http://localhost:8080")
users = os.environ.get("FRESHET_USERS", "user_1,user_2,user_3,user_4,user_5").split(",")
client = FreshetClient(url)

# 1. The features a model reads, by feature service, for a batch of users (Feast's shape).
try:
    answer = client.get_online_features(
        entities={"user_id": users}, feature_service="conversion_model"
    )
except FreshetError as e:
    raise SystemExit("lookup failed: %s" % e)
names = answer.feature_names
print("  ".join("%-18s" % n for n in names))
for row in answer.to_rows():
    print("  ".join("%-18s" % ("-" if row[n] is None else row[n]) for n in names))

# 2. The same as a DataFrame, when pandas is installed.
try:
    print(answer.to_pandas().describe())
except ImportError:
    print("(pip install pandas to get the answer as a DataFrame)")

# 3. An event pushed through the gateway: checked by the job's decoder, then counted by the job.
event = {
    "user_id": users[0],
    "event_ts": int(time.time() * 1000),
    "event_type": "purchase",
    "revenue": 12.5,
    "platform": "web",
}
result = client.push("user_activity", [event, {"event_type": "view"}])
print("pushed: %d accepted, rejected: %s" % (result.accepted, result.rejected))
