-- The newest rejected events of a view, as the gateway's console lists them (see
-- io.freshet.offline.ViewHealth): an index by view and arrival, so that listing them reads a few
-- index entries instead of every event of the view. Created only when pg_class lacks it, as
-- sink_commits__age is, so a database that has it takes no lock.

DO $$
BEGIN
  IF NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'freshet' AND c.relname = 'rejected_events__recent') THEN
    CREATE INDEX rejected_events__recent ON freshet.rejected_events (view_name, received_at);
  END IF;
END
$$;
