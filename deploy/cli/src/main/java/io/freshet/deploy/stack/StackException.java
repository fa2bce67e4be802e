package io.freshet.deploy.stack;

/**
 * A failure of the local stack that a person can act on: the message says what went wrong, with
 * which value, and what to do about it. The command prints it without a stack trace.
 */
public class StackException extends RuntimeException {
  public StackException(String message) {
    super(message);
  }

  public StackException(String message, Throwable cause) {
    super(message, cause);
  }
}
