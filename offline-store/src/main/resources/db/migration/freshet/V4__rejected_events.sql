-- Dead letters and late events of the streaming and backfill jobs, one row per event and view
-- (see io.freshet.offline.RejectedEvents). Sinks of earlier versions created the table on start:
-- IF NOT EXISTS takes it as it is.

CREATE TABLE IF NOT EXISTS freshet.rejected_events (
  view_name text NOT NULL,
  kind text NOT NULL,
  origin text NOT NULL,
  reason text NOT NULL,
  payload text,
  event_ts timestamptz,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (view_name, kind, origin)
);
