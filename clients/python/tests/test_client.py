"""The client against a running gateway.

The gateway and the rows it serves are set up by the JVM test that runs this suite
(serving-gateway's PythonClientTest), which writes their description to the JSON file named by
FRESHET_TEST_FIXTURE: the gateway's URL and token, and the values of each stored row. Without it
the suite fails: it is never skipped.
"""

import json
import os
import unittest

from freshet_client import FreshetClient, FreshetError, OnlineResponse, training_set


def load_fixture():
    path = os.environ.get("FRESHET_TEST_FIXTURE")
    if not path:
        raise RuntimeError(
            "FRESHET_TEST_FIXTURE is not set: run this suite through the gateway's"
            " PythonClientTest (mvn -pl serving-gateway -am verify -Dtest=PythonClientTest)"
        )
    with open(path, encoding="utf-8") as f:
        return json.load(f)


FIXTURE = load_fixture()


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and a == b
    return a == b


class LookupTest(unittest.TestCase):
    def setUp(self):
        self.client = FreshetClient(FIXTURE["url"], token=FIXTURE["token"])
        self.rows = FIXTURE["rows"]
        self.view = FIXTURE["view"]

    def test_features_of_every_stored_row_come_back_as_written(self):
        users = sorted(self.rows)
        names = sorted(self.rows[users[0]])
        names.remove("feature_ts")
        answer = self.client.get_online_features(
            entities={"user_id": users},
            features=["%s:%s" % (self.view, n) for n in names],
        )
        self.assertIsInstance(answer, OnlineResponse)
        self.assertEqual(answer.feature_names, ["user_id"] + names)
        self.assertEqual(len(answer), len(users))
        self.assertEqual(answer.values["user_id"], users)
        for i, user in enumerate(users):
            for n in names:
                self.assertTrue(
                    same(answer.values[n][i], self.rows[user][n]),
                    "%s %s: got %r, stored %r" % (user, n, answer.values[n][i], self.rows[user][n]),
                )
                self.assertEqual(answer.statuses[n][i], "PRESENT", (user, n))
                self.assertEqual(answer.event_timestamps[n][i], self.rows[user]["feature_ts"])
        self.assertEqual(len(answer.request_instants), len(users))
        rows = answer.to_rows()
        self.assertEqual([r["user_id"] for r in rows], users)
        self.assertEqual(answer.to_dict()["user_id"], users)

    def test_a_feature_service_and_full_feature_names(self):
        user = sorted(self.rows)[0]
        answer = self.client.get_online_features(
            entities={"user_id": [user]},
            feature_service=FIXTURE["service"],
            full_feature_names=True,
        )
        self.assertIn("user_activity__event_count_1h", answer.feature_names)
        self.assertEqual(
            answer.values["user_activity__event_count_1h"], [self.rows[user]["event_count_1h"]]
        )

    def test_an_unknown_entity_is_not_found_with_null_values(self):
        missing = FIXTURE["missing"][0]
        answer = self.client.get_online_features(
            entities={"user_id": [missing]}, features=["%s:event_count_1h" % self.view]
        )
        self.assertEqual(answer.values["event_count_1h"], [None])
        self.assertEqual(answer.statuses["event_count_1h"], ["NOT_FOUND"])

    def test_one_entitys_row_by_get(self):
        user = sorted(self.rows)[-1]
        row = self.client.get_features(self.view, user)
        self.assertEqual(json.dumps(row).count("event_count_1h"), 1, row)
        self.assertIn(str(self.rows[user]["event_count_1h"]), json.dumps(row))

    def test_to_pandas_gives_a_frame_or_says_how_to_get_pandas(self):
        user = sorted(self.rows)[0]
        answer = self.client.get_online_features(
            entities={"user_id": [user]}, features=["%s:event_count_1h" % self.view]
        )
        try:
            import pandas  # noqa: F401
        except ImportError:
            with self.assertRaises(ImportError) as raised:
                answer.to_pandas()
            self.assertIn("pip install 'freshet-client[pandas]'", str(raised.exception))
            return
        frame = answer.to_pandas()
        self.assertEqual(list(frame.columns), ["user_id", "event_count_1h"])
        self.assertEqual(frame["event_count_1h"].tolist(), [self.rows[user]["event_count_1h"]])


class ErrorTest(unittest.TestCase):
    def test_an_unknown_feature_is_a_freshet_error_naming_it(self):
        client = FreshetClient(FIXTURE["url"], token=FIXTURE["token"])
        with self.assertRaises(FreshetError) as raised:
            client.get_online_features(
                entities={"user_id": ["u"]}, features=["user_activity:no_such_feature"]
            )
        e = raised.exception
        self.assertEqual(e.status, 400)
        self.assertIn("no_such_feature", e.message)
        self.assertTrue(e.code)

    def test_a_missing_token_is_401(self):
        client = FreshetClient(FIXTURE["url"], token="")
        with self.assertRaises(FreshetError) as raised:
            client.get_online_features(
                entities={"user_id": ["u"]}, features=["user_activity:event_count_1h"]
            )
        self.assertEqual(raised.exception.status, 401)

    def test_an_unreachable_gateway_says_so(self):
        client = FreshetClient("http://127.0.0.1:9", token=FIXTURE["token"], timeout=2)
        with self.assertRaises(FreshetError) as raised:
            client.get_features("user_activity", "u")
        self.assertEqual(raised.exception.status, 0)
        self.assertIn("is the gateway running?", str(raised.exception))
        self.assertFalse(client.health())

    def test_requests_the_gateway_would_refuse_are_refused_before_sending(self):
        client = FreshetClient(FIXTURE["url"], token=FIXTURE["token"])
        with self.assertRaises(ValueError):
            client.get_online_features(entities={"user_id": ["u"]})
        with self.assertRaises(ValueError):
            client.get_online_features(
                entities={"user_id": ["u"]}, features="user_activity:event_count_1h"
            )
        with self.assertRaises(ValueError):
            FreshetClient("localhost:8080")
        with self.assertRaises(ValueError):
            training_set("labels.csv")


class PushTest(unittest.TestCase):
    def test_good_events_are_accepted_and_bad_ones_reported_with_their_reasons(self):
        client = FreshetClient(FIXTURE["url"], token=FIXTURE["token"])
        self.assertTrue(client.health())
        result = client.push(
            FIXTURE["push_view"],
            [
                {"user_id": "user_1", "event_ts": 1764763200000, "event_type": "view"},
                {"event_ts": 1764763200000, "event_type": "view"},
                {"user_id": "user_1", "event_ts": 1764763200000, "event_type": "purchase",
                 "revenue": "lots"},
            ],
        )
        self.assertEqual(result.view, FIXTURE["push_view"])
        self.assertEqual(result.topic, FIXTURE["push_topic"])
        self.assertEqual(result.accepted, 1)
        self.assertEqual([i for i, _ in result.rejected], [1, 2])
        self.assertIn("user_id", result.rejected[0][1])
        self.assertIn("revenue", result.rejected[1][1])

    def test_pushing_to_an_unknown_view_is_an_error(self):
        client = FreshetClient(FIXTURE["url"], token=FIXTURE["token"])
        with self.assertRaises(FreshetError) as raised:
            client.push("no_such_view", [{"user_id": "u"}])
        self.assertEqual(raised.exception.status, 404)


if __name__ == "__main__":
    unittest.main()
