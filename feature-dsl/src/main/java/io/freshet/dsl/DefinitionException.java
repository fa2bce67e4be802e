package io.freshet.dsl;

/**
 * Thrown when a feature definition is invalid. The message names the definition, the offending
 * value, the rule it breaks and how to fix it.
 */
public final class DefinitionException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public DefinitionException(String message) {
    super(message);
  }
}
