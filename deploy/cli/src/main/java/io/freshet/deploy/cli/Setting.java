package io.freshet.deploy.cli;

import java.util.Map;

/**
 * A value chosen by a flag, else by an environment variable, remembering which, so messages can say
 * where a wrong value came from.
 *
 * @param value the value, never blank
 * @param source the flag or variable that gave it, e.g. {@code --pg-url} or {@code FRESHET_PG_URL}
 */
record Setting(String value, String source) {
  /** The flag's value, else the variable's, else null. */
  static Setting resolve(String flagValue, String flag, String variable, Map<String, String> env) {
    if (flagValue != null && !flagValue.isBlank()) {
      return new Setting(flagValue.strip(), flag);
    }
    String v = env.get(variable);
    if (v != null && !v.isBlank()) {
      return new Setting(v.strip(), variable);
    }
    return null;
  }

  static String valueOrNull(Setting s) {
    return s == null ? null : s.value();
  }

  static String sourceOrNull(Setting s) {
    return s == null ? null : s.source();
  }
}
