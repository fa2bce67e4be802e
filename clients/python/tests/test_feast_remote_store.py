"""Freshet's gateway as the online server of Feast's "remote" online store.

Feast's Python SDK reads online features from a remote server (``online_store: type: remote``)
by posting to ``<path>/get-online-features``. What its ``RemoteOnlineStore.online_read`` sends
and how it reads the answer (Feast's sdk/python/feast/infra/online_stores/remote.py, read at
feast-dev/feast commit 0d509ec) is restated here from that reading, without Feast itself (its wheels
need pyarrow, which this build's machines cannot install):

- the body is the JSON text ``{"features": ["<view>:<feature>", ...], "entities": {<join key>:
  [values]}}``, one view per request, sent as ``data=`` with no Content-Type header, and a bearer
  token only when Feast's auth config gives one;
- the answer is read column-major by position in ``metadata.feature_names``; a value counts only
  when its status is ``PRESENT``; the row's event time is taken from
  ``results[1].event_timestamps[0]``, parsed with ``datetime.fromisoformat`` after turning a
  trailing ``Z`` into ``+00:00``, which only works when ``results[0]`` is the entity column;
- writes go to ``POST <path>/write-to-online-store`` and vector search to
  ``/retrieve-online-documents``.

The gateway and its rows are those of the client's own suite (see test_client.py).
"""

import http.client
import json
import unittest
import urllib.parse
from datetime import datetime

from tests.test_client import FIXTURE


def post_as_feast_does(path, body_text, token):
    """POSTs body_text as Feast's requests session does: no Content-Type, optional bearer."""
    url = urllib.parse.urlsplit(FIXTURE["url"])
    headers = {"Content-Length": str(len(body_text.encode("utf-8")))}
    if token:
        headers["Authorization"] = "Bearer " + token
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        # http.client adds no Content-Type of its own (urllib.request would add a form type).
        connection.request("POST", path, body=body_text.encode("utf-8"), headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read().decode("utf-8"))
    finally:
        connection.close()


def read_as_feast_does(answer, entity_count, requested):
    """The remote store's reading: one (event time, {feature: value or None}) per entity."""
    names = answer["metadata"]["feature_names"]
    event_ts = ""
    if len(answer["results"]) > 1:
        event_ts = answer["results"][1]["event_timestamps"][0]
    when = datetime.fromisoformat(event_ts.replace("Z", "+00:00"))
    rows = []
    for i in range(entity_count):
        values = {}
        for index, name in enumerate(names):
            if name in requested:
                column = answer["results"][index]
                values[name] = column["values"][i] if column["statuses"][i] == "PRESENT" else None
        rows.append((when, values))
    return rows


class FeastRemoteOnlineStoreTest(unittest.TestCase):
    def setUp(self):
        self.rows = FIXTURE["rows"]
        self.view = FIXTURE["view"]
        self.users = sorted(self.rows)
        self.names = sorted(n for n in self.rows[self.users[0]] if n != "feature_ts")

    def feast_read(self, users, names):
        body = json.dumps(
            {
                "features": ["%s:%s" % (self.view, n) for n in names],
                "entities": {"user_id": users},
            }
        )
        status, answer = post_as_feast_does("/get-online-features", body, FIXTURE["token"])
        self.assertEqual(status, 200, answer)
        return read_as_feast_does(answer, len(users), names)

    def test_online_read_gets_every_stored_value_and_its_event_time(self):
        rows = self.feast_read(self.users, self.names)
        self.assertEqual(len(rows), len(self.users))
        for user, (when, values) in zip(self.users, rows):
            self.assertEqual(sorted(values), self.names)
            for n in self.names:
                self.assertEqual(values[n], self.rows[user][n], (user, n))
        # Feast takes one event time per request, from the first feature column's first row.
        first = self.rows[self.users[0]]["feature_ts"]
        self.assertEqual(rows[0][0], datetime.fromisoformat(first.replace("Z", "+00:00")))

    def test_online_read_of_a_single_feature(self):
        # results[1] must exist: the gateway puts the entity column first, as Feast's server does.
        rows = self.feast_read(self.users[:1], self.names[:1])
        self.assertEqual(rows[0][1], {self.names[0]: self.rows[self.users[0]][self.names[0]]})

    def test_an_unknown_entity_reads_as_missing_values(self):
        rows = self.feast_read([self.users[0], FIXTURE["missing"][0]], self.names[:2])
        self.assertEqual(rows[1][1], {n: None for n in self.names[:2]})

    def test_without_the_token_feast_gets_401(self):
        body = json.dumps(
            {"features": ["%s:%s" % (self.view, self.names[0])], "entities": {"user_id": ["u"]}}
        )
        status, answer = post_as_feast_does("/get-online-features", body, None)
        self.assertEqual(status, 401)
        self.assertEqual(answer["error"], "unauthorized")

    def test_writes_and_vector_search_are_not_served(self):
        # Freshet computes its views itself: Feast's materialize cannot write into them.
        for path in ("/write-to-online-store", "/retrieve-online-documents"):
            status, answer = post_as_feast_does(
                path,
                json.dumps({"feature_view_name": self.view, "df": {}}),
                FIXTURE["token"],
            )
            self.assertEqual(status, 404, path)
            self.assertEqual(answer["error"], "no_route", path)


if __name__ == "__main__":
    unittest.main()
