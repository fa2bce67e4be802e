-- Training-set manifests: what each set was built from and what it holds, so that it can be
-- rebuilt identically. Databases migrated before the schema had one history made these tables
-- with a history of their own (freshet.training_schema_history): IF NOT EXISTS takes them as
-- they are.

CREATE TABLE IF NOT EXISTS freshet.training_sets (
  id                 uuid        PRIMARY KEY,
  created_at         timestamptz NOT NULL,
  -- the commit time the offline tables were read as of (versions valid over [committed_at, superseded_at))
  as_of              timestamptz NOT NULL,
  -- 'csv:/abs/path' or 'postgres:schema.table'
  label_source       text        NOT NULL,
  label_sha256       text        NOT NULL CHECK (label_sha256 ~ '^[0-9a-f]{64}$'),
  timestamp_column   text        NOT NULL,
  -- the feature service the features came from, if any
  feature_service    text,
  -- view:feature, in output column order, and the output column of each
  features           text[]      NOT NULL,
  feature_columns    text[]      NOT NULL CHECK (cardinality(feature_columns) = cardinality(features)),
  full_feature_names boolean     NOT NULL,
  -- 'csv:/abs/path' or 'postgres:schema.table'
  output             text        NOT NULL,
  -- SHA-256 of the set in its CSV form (for a table: of the CSV the same rows make)
  output_sha256      text        NOT NULL CHECK (output_sha256 ~ '^[0-9a-f]{64}$'),
  row_count          bigint      NOT NULL CHECK (row_count >= 0),
  -- version of the CSV rendering that output_sha256 covers
  format_version     integer     NOT NULL
);

CREATE INDEX IF NOT EXISTS training_sets_created_at ON freshet.training_sets (created_at);

-- The views a set read, with what decides which rows a label sees: the version (its offline table
-- freshet."{view}__{version_tag}"), and TTL and availability delay, which are not part of the
-- fingerprint and so are recorded here.
CREATE TABLE IF NOT EXISTS freshet.training_set_views (
  training_set_id       uuid    NOT NULL REFERENCES freshet.training_sets (id) ON DELETE CASCADE,
  position              integer NOT NULL CHECK (position >= 0),
  view_name             text    NOT NULL,
  version_tag           text    NOT NULL,
  fingerprint           text    NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  key_columns           text[]  NOT NULL,
  ttl_micros            bigint  NOT NULL CHECK (ttl_micros > 0),
  availability_delay_micros bigint NOT NULL CHECK (availability_delay_micros >= 0),
  PRIMARY KEY (training_set_id, position),
  UNIQUE (training_set_id, view_name),
  CHECK (version_tag = substr(fingerprint, 1, 10))
);
