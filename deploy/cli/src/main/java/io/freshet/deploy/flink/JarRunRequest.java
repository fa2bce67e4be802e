package io.freshet.deploy.flink;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The body of {@code POST /jars/{jarId}/run}: which class to run with which arguments, and
 * optionally a parallelism and a savepoint to start from.
 *
 * @param entryClass the class with the job's {@code main}
 * @param programArgs its arguments, one list element per argument (no shell quoting)
 * @param parallelism the default parallelism of the job, or null for the cluster's
 * @param savepointPath a savepoint or retained checkpoint to restore, or null
 * @param allowNonRestoredState whether state of removed operators may be skipped on restore
 */
public record JarRunRequest(
    String entryClass,
    List<String> programArgs,
    Integer parallelism,
    String savepointPath,
    boolean allowNonRestoredState) {
  public JarRunRequest {
    Objects.requireNonNull(entryClass, "entryClass");
    programArgs = List.copyOf(programArgs);
    if (parallelism != null && parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
    }
  }

  /**
   * Runs {@code entryClass} with {@code programArgs}, from scratch, at the cluster's parallelism.
   */
  public static JarRunRequest of(String entryClass, List<String> programArgs) {
    return new JarRunRequest(entryClass, programArgs, null, null, false);
  }

  /** The JSON fields Flink reads; absent values are left out. */
  Map<String, Object> body() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("entryClass", entryClass);
    m.put("programArgsList", programArgs);
    if (parallelism != null) {
      m.put("parallelism", parallelism);
    }
    if (savepointPath != null) {
      m.put("savepointPath", savepointPath);
      m.put("allowNonRestoredState", allowNonRestoredState);
    }
    return m;
  }
}
