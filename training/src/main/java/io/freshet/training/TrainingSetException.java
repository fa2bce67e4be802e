package io.freshet.training;

/**
 * A training set could not be built or rebuilt: bad input (a label file without its key or
 * timestamp column, an unparseable time, an unknown feature), a missing offline table, labels that
 * changed since a build, or a failure of the database. The message says what and where (file and
 * line, table, column) and what to do; nothing was published when it is thrown.
 */
public class TrainingSetException extends RuntimeException {
  public TrainingSetException(String message) {
    super(message);
  }

  public TrainingSetException(String message, Throwable cause) {
    super(message, cause);
  }
}
