-- The loads of table-sourced views by `freshet materialize` (see io.freshet.offline.TableLoads):
-- one row per successful load of a view version, over the rows whose timestamp lies in
-- (loaded_from, loaded_to], in epoch milliseconds. The greatest loaded_to is the view version's
-- high-water mark: the next incremental load starts there. A row is written only after the load's
-- rows are committed to both stores, so a failed load leaves the mark where it was and is redone.

CREATE TABLE IF NOT EXISTS freshet.table_loads (
  view_name text NOT NULL,
  version_tag text NOT NULL,
  loaded_from bigint,
  loaded_to bigint NOT NULL,
  row_count bigint NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (view_name, version_tag, loaded_to, started_at)
);
