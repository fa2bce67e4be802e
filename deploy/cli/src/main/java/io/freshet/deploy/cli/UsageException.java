package io.freshet.deploy.cli;

/**
 * The command line asks for something that cannot be done as asked (an unknown view, flags that
 * exclude each other). The command prints the message and exits with {@link
 * FreshetCommand#EXIT_INVALID}; nothing was started or written.
 */
final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }

  UsageException(String message, Throwable cause) {
    super(message, cause);
  }
}
