-- The commit markers of the offline sinks (see io.freshet.offline.SinkCommits). Sinks of earlier
-- versions created them on their first commit: IF NOT EXISTS takes them as they are. The index is
-- created only when pg_class lacks it, because CREATE INDEX IF NOT EXISTS locks the table even when
-- the index exists, against the commits of running sinks.

CREATE TABLE IF NOT EXISTS freshet.sink_commits (
  target text NOT NULL,
  job_id text NOT NULL,
  subtask integer NOT NULL,
  checkpoint_id bigint NOT NULL,
  writer_id bigint NOT NULL,
  row_count integer NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (target, job_id, subtask, checkpoint_id, writer_id)
);

DO $$
BEGIN
  IF NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'freshet' AND c.relname = 'sink_commits__age') THEN
    CREATE INDEX sink_commits__age ON freshet.sink_commits (target, committed_at);
  END IF;
END
$$;
