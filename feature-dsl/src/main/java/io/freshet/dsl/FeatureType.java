package io.freshet.dsl;

/** The value type of a feature: what the offline column holds and the gateway returns. */
public enum FeatureType {
  /** 64-bit signed integer; Postgres {@code bigint}. */
  INT64("bigint"),
  /** 64-bit IEEE float; Postgres {@code double precision}. */
  FLOAT64("double precision"),
  /** UTF-8 text; Postgres {@code text}. */
  STRING("text"),
  /** A list of UTF-8 texts; Postgres {@code text[]}. */
  STRING_LIST("text[]");

  private final String postgresType;

  FeatureType(String postgresType) {
    this.postgresType = postgresType;
  }

  /** The Postgres column type holding values of this type. */
  public String postgresType() {
    return postgresType;
  }
}
