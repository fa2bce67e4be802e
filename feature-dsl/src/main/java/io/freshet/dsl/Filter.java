package io.freshet.dsl;

/**
 * A condition on an event that decides whether an aggregation counts it.
 *
 * <p>{@code Filter.equalTo("event_type", "purchase")} keeps events whose {@code event_type} field
 * is the string {@code "purchase"}; an event without the field does not match.
 */
public sealed interface Filter extends java.io.Serializable permits Filter.FieldEquals {

  /** Matches events whose string field {@code field} equals {@code value}. */
  static Filter equalTo(String field, String value) {
    return new FieldEquals(field, value);
  }

  /** A canonical text form, used in plan descriptions and fingerprints. */
  String describe();

  /** The field must be present and equal to the value, compared as strings. */
  record FieldEquals(String field, String value) implements Filter {
    public FieldEquals {
      Names.checkField("filter", field);
      if (value == null) {
        throw new DefinitionException(
            "filter on field '" + field + "' needs a value to compare with, got null");
      }
    }

    @Override
    public String describe() {
      return field + " == " + quote(value);
    }

    private static String quote(String s) {
      return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
  }
}
