"""Freshet's gateway over HTTP, with nothing but the standard library."""

import csv
import json
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request

__all__ = [
    "FreshetClient",
    "FreshetError",
    "OnlineResponse",
    "PushResult",
    "TrainingSetError",
    "training_set",
]


class FreshetError(Exception):
    """The gateway refused a request or could not answer it.

    ``status`` is the HTTP status (0 when the gateway could not be reached), ``code`` the
    gateway's error code (e.g. ``unknown_feature``), ``field`` the part of the request at fault
    when the gateway names one, and ``body`` the decoded JSON answer, if any.
    """

    def __init__(self, status, code, message, field=None, body=None):
        super().__init__("%s (HTTP %s): %s" % (code, status, message))
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.body = body


class OnlineResponse:
    """An answer of ``POST /get-online-features`` in Feast's column-major shape.

    ``feature_names`` lists the columns (entity columns first, as sent); ``values``,
    ``statuses`` and ``event_timestamps`` map each column name to one item per entity row.
    ``request_instants`` (a Freshet addition) holds, per entity row, the instant on the online
    store's clock at which the row was read.
    """

    def __init__(self, body):
        metadata = body.get("metadata") or {}
        self.feature_names = list(metadata.get("feature_names") or [])
        self.request_instants = list(metadata.get("request_instants") or [])
        results = body.get("results") or []
        if len(results) != len(self.feature_names):
            raise ValueError(
                "the answer has %d result columns for %d feature names"
                % (len(results), len(self.feature_names))
            )
        self.values = {}
        self.statuses = {}
        self.event_timestamps = {}
        for name, column in zip(self.feature_names, results):
            self.values[name] = list(column.get("values") or [])
            self.statuses[name] = list(column.get("statuses") or [])
            self.event_timestamps[name] = list(column.get("event_timestamps") or [])
        self.raw = body

    def __len__(self):
        if not self.feature_names:
            return 0
        return len(self.values[self.feature_names[0]])

    def to_dict(self):
        """The values, column by column: ``{name: [value per entity row]}``."""
        return {name: list(self.values[name]) for name in self.feature_names}

    def to_rows(self):
        """The values, row by row: one ``{name: value}`` per entity row."""
        return [
            {name: self.values[name][i] for name in self.feature_names} for i in range(len(self))
        ]

    def to_pandas(self):
        """The values as a pandas DataFrame (needs the ``pandas`` extra)."""
        try:
            import pandas
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError(
                "to_pandas() needs pandas: pip install 'freshet-client[pandas]'"
            ) from e
        return pandas.DataFrame(self.to_dict(), columns=self.feature_names)


class PushResult:
    """The answer of ``POST /push``: how many events were accepted, and why others were not."""

    def __init__(self, body):
        self.view = body.get("view")
        self.topic = body.get("topic")
        self.accepted = body.get("accepted", 0)
        # [(index in the request, reason)], in request order
        self.rejected = [(r.get("index"), r.get("reason")) for r in body.get("rejected") or []]
        self.raw = body


class FreshetClient:
    """A client of one gateway.

    ``url`` is the gateway's base URL, e.g. ``http://localhost:8080``; ``token`` the bearer token
    when the gateway has auth on (default: the ``FRESHET_TOKEN`` environment variable, if set);
    ``timeout`` the seconds to wait for each answer.
    """

    def __init__(self, url="http://localhost:8080", token=None, timeout=10.0):
        if not url or not url.startswith(("http://", "https://")):
            raise ValueError("the gateway URL must start with http:// or https://, got %r" % url)
        self.url = url.rstrip("/")
        self.token = token if token is not None else os.environ.get("FRESHET_TOKEN")
        self.timeout = timeout

    # -- lookups ------------------------------------------------------------------------------

    def get_online_features(
        self,
        entities,
        features=None,
        feature_service=None,
        request_context=None,
        full_feature_names=False,
    ):
        """Looks features up for entity rows, as Feast's ``get_online_features`` does.

        ``entities`` maps each entity key field to a list (one item per row), e.g.
        ``{"user_id": ["user_1", "user_2"]}``. Name the features either as ``features``
        (``["user_activity:event_count_1h", ...]``) or as a ``feature_service``.
        ``request_context`` maps each request field of the service to a list aligned with the
        entity rows. Returns an :class:`OnlineResponse`.
        """
        if (features is None) == (feature_service is None):
            raise ValueError("name either features=[...] or feature_service=..., not both or neither")
        if not isinstance(entities, dict) or not entities:
            raise ValueError('entities must map key fields to lists, e.g. {"user_id": ["u1"]}')
        body = {"entities": {k: list(v) for k, v in entities.items()}}
        if features is not None:
            if isinstance(features, str):
                raise ValueError("features must be a list of 'view:feature' names, not one string")
            body["features"] = list(features)
        else:
            body["feature_service"] = feature_service
        if request_context:
            body["request_context"] = {k: list(v) for k, v in request_context.items()}
        if full_feature_names:
            body["full_feature_names"] = True
        return OnlineResponse(self._call("POST", "/get-online-features", body))

    def get_features(self, view, entity):
        """``GET /features/{view}/{entity}``: one entity's row of one view, as a dict."""
        path = "/features/%s/%s" % (
            urllib.parse.quote(view, safe=""),
            urllib.parse.quote(str(entity), safe=""),
        )
        return self._call("GET", path, None)

    def push(self, view, events):
        """Sends events (dicts, as the view's topic takes them) for a view.

        Each event is checked by the job's own decoder; the good ones are produced to the view's
        topic and counted once the job commits them. Returns a :class:`PushResult` naming each
        rejected event's index and reason.
        """
        return PushResult(self._call("POST", "/push", {"view": view, "events": list(events)}))

    def health(self):
        """True if the gateway answers ``/health``."""
        try:
            self._call("GET", "/health", None)
            return True
        except FreshetError:
            return False

    # -- HTTP ---------------------------------------------------------------------------------

    def _call(self, method, path, body):
        data = None
        headers = {"Accept": "application/json"}
        if body is not None:
            data = json.dumps(body, allow_nan=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            raise _error_of(e) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise FreshetError(
                0,
                "unreachable",
                "no answer from %s (%s): is the gateway running? (freshet serve, or freshet demo)"
                % (self.url, reason),
            ) from None
        return json.loads(text) if text else {}


def _error_of(http_error):
    raw = http_error.read().decode("utf-8", "replace")
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict) and "error" in body:
        return FreshetError(
            http_error.code,
            body.get("error"),
            body.get("message", ""),
            field=body.get("field"),
            body=body,
        )
    return FreshetError(http_error.code, "http_%d" % http_error.code, raw.strip() or str(http_error))


# -- training sets ------------------------------------------------------------------------------


class TrainingSetError(Exception):
    """``freshet training-set`` failed; ``output`` holds what it printed."""

    def __init__(self, returncode, output):
        super().__init__(
            "freshet training-set exited with %d:\n%s" % (returncode, output.strip())
        )
        self.returncode = returncode
        self.output = output


def training_set(
    labels,
    features=None,
    feature_service=None,
    output=None,
    freshet=None,
    pg_url=None,
    timestamp_column=None,
    as_of=None,
    semantics=None,
    extra_args=(),
    as_pandas=None,
):
    """Builds a point-in-time-correct training set with ``freshet training-set`` and loads it.

    ``labels`` is a CSV file of labels (or ``postgres:<schema.table>``); name the features as
    ``features`` (a list of ``view:feature``) or a ``feature_service``. The set is written to
    ``output`` (a CSV file; a temporary one if not given) and read back: as a pandas DataFrame
    when pandas is installed (or ``as_pandas=True``), else as a list of dicts of strings (empty
    cells as None). ``freshet`` is the command to run (default: ``FRESHET`` from the environment,
    else ``freshet`` on the PATH); ``pg_url`` the offline store (default: the command's own).
    """
    if (features is None) == (feature_service is None):
        raise ValueError("name either features=[...] or feature_service=..., not both or neither")
    command = _freshet_command(freshet)
    keep = output is not None
    if output is None:
        handle, output = tempfile.mkstemp(prefix="freshet-training-", suffix=".csv")
        os.close(handle)
        os.unlink(output)
    args = command + ["training-set", "--labels", str(labels), "--output", str(output)]
    if features is not None:
        args += ["--features", ",".join(features)]
    else:
        args += ["--feature-service", feature_service]
    for flag, value in (
        ("--pg-url", pg_url),
        ("--timestamp-column", timestamp_column),
        ("--as-of", as_of),
        ("--semantics", semantics),
    ):
        if value is not None:
            args += [flag, str(value)]
    args += list(extra_args)
    done = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        raise TrainingSetError(done.returncode, done.stdout)
    try:
        return _load_csv(output, as_pandas)
    finally:
        if not keep and os.path.exists(output):
            os.unlink(output)


def _freshet_command(freshet):
    if freshet is None:
        freshet = os.environ.get("FRESHET", "freshet")
    if isinstance(freshet, (list, tuple)):
        return list(freshet)
    if os.path.sep not in freshet and shutil.which(freshet) is None:
        raise FileNotFoundError(
            "no %r command on the PATH: pass freshet='/path/to/deploy/bin/freshet' or set FRESHET"
            % freshet
        )
    return [freshet]


def _load_csv(path, as_pandas):
    if as_pandas is None:
        try:
            import pandas  # noqa: F401

            as_pandas = True
        except ImportError:
            as_pandas = False
    if as_pandas:
        import pandas

        return pandas.read_csv(path, keep_default_na=False, na_values=[""])
    with open(path, newline="", encoding="utf-8") as f:
        return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(f)]
