-- The registry: every applied definition, in its JSON form, with its fingerprint and version.
-- Offline tables (freshet."{view}__{version_tag}") live in the same schema but are created by
-- the sinks from the definitions, not by these migrations.

-- One row per apply that changed anything. The greatest id is the registry's change counter:
-- a reader polls it to learn that something changed.
CREATE TABLE freshet.applies (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  applied_at timestamptz NOT NULL,
  applied_by text NOT NULL DEFAULT session_user,
  summary    text NOT NULL
);

-- One row per meaning of a view: a changed fingerprint is a new version with its own offline
-- table; a change that keeps the fingerprint (TTL, availability delay, idle timeout) updates the
-- row in place. is_current marks the version the view's name stands for now. definition_json is
-- text, not jsonb, because jsonb rewrites what it stores (key order, -0.0 becomes 0): the text is
-- exactly what DefinitionJson wrote and reads back to an equal definition.
CREATE TABLE freshet.feature_views (
  name            text        NOT NULL,
  version         integer     NOT NULL CHECK (version >= 1),
  fingerprint     text        NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  version_tag     text        NOT NULL,
  definition_json text        NOT NULL,
  is_current      boolean     NOT NULL,
  applied_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  apply_id        bigint      NOT NULL REFERENCES freshet.applies (id),
  PRIMARY KEY (name, version),
  UNIQUE (name, fingerprint),
  -- two meanings must never share an offline table, even if their fingerprints share a prefix
  UNIQUE (name, version_tag),
  CHECK (version_tag = substr(fingerprint, 1, 10))
);

CREATE UNIQUE INDEX feature_views_one_current ON freshet.feature_views (name) WHERE is_current;

-- Named sets of view:feature that a model uses; filled once the DSL defines them.
CREATE TABLE freshet.feature_services (
  name            text        NOT NULL,
  version         integer     NOT NULL CHECK (version >= 1),
  definition_json text        NOT NULL,
  applied_at      timestamptz NOT NULL,
  PRIMARY KEY (name, version)
);
