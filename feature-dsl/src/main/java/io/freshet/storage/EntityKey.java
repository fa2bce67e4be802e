package io.freshet.storage;

import java.util.List;

/**
 * The single string that identifies an entity in both tables. A one-field key is the field's value;
 * a compound key joins its parts with the unit separator U+001F, which JSON text rarely holds.
 */
public final class EntityKey {
  /** Separates the parts of a compound key. */
  public static final char SEPARATOR = '\u001f';

  private EntityKey() {}

  public static String of(List<String> parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    return String.join(String.valueOf(SEPARATOR), parts);
  }
}
