package io.freshet.gateway.console;

/** A console source that is not configured; the message says what to configure. */
public final class ConsoleUnavailableException extends Exception {
  private static final long serialVersionUID = 1L;

  public ConsoleUnavailableException(String message) {
    super(message);
  }
}
