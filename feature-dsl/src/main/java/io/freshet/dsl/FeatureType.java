package io.freshet.dsl;

/** The value type of a feature: what the offline column holds and the gateway returns. */
public enum FeatureType {
  /** 64-bit signed integer; Postgres {@code bigint}. */
  INT64,
  /** 64-bit IEEE float; Postgres {@code double precision}. */
  FLOAT64,
  /** UTF-8 text; Postgres {@code text}. */
  STRING,
  /** A list of UTF-8 texts; Postgres {@code text[]}. */
  STRING_LIST
}
