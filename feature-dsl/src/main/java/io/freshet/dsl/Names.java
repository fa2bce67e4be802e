package io.freshet.dsl;

import java.util.regex.Pattern;

/** Validation of the identifiers that become Postgres columns, table names and Redis fields. */
final class Names {
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z][a-z0-9_]{0,47}");

  private Names() {}

  static String checkIdentifier(String what, String name) {
    if (name == null || !IDENTIFIER.matcher(name).matches()) {
      throw new DefinitionException(
          what
              + " name '"
              + name
              + "' is not a valid identifier: use 1 to 48 characters of lower-case letters, digits"
              + " and '_', starting with a letter (e.g. 'event_count_1h')");
    }
    return name;
  }

  static String checkField(String what, String field) {
    if (field == null || field.isBlank()) {
      throw new DefinitionException(
          what + " needs a JSON field name, got '" + field + "' (e.g. 'user_id')");
    }
    return field;
  }
}
