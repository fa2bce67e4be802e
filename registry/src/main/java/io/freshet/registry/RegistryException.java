package io.freshet.registry;

/**
 * Thrown when the registry cannot be reached, migrated, read or written. The message says what was
 * being done and on which database (without credentials); the cause is the driver's error.
 */
public final class RegistryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RegistryException(String message, Throwable cause) {
    super(message, cause);
  }

  public RegistryException(String message) {
    super(message);
  }
}
