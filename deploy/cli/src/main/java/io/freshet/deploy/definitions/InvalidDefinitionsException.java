package io.freshet.deploy.definitions;

/**
 * The feature definitions a command was given cannot be used: the DSL rejected them, or the {@code
 * --definitions} jar is missing, unreadable or lists classes that cannot be loaded. The message is
 * the DSL's own, or says what is wrong with the jar and how to fix it.
 */
public final class InvalidDefinitionsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidDefinitionsException(String message) {
    super(message);
  }

  public InvalidDefinitionsException(String message, Throwable cause) {
    super(message, cause);
  }
}
