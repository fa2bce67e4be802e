package io.freshet.deploy.stack;

import io.freshet.deploy.flink.FlinkRestClient;
import io.freshet.deploy.flink.FlinkRestException;
import io.freshet.deploy.flink.JarRunRequest;
import io.freshet.deploy.flink.JobSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The streaming job on the local session cluster, under supervision. Flink itself restarts the job
 * when a TaskManager dies; what it cannot survive is its JobManager dying, since a standalone
 * cluster without HA forgets its jobs. Then, or when the job has FAILED for good, this submits the
 * job again from the newest completed checkpoint on disk ({@code chk-N} with a {@code _metadata}
 * file), uploading the jar again when the JobManager no longer has it.
 */
public final class SupervisedJob implements Supervised {
  private static final Pattern CHECKPOINT_DIR = Pattern.compile("chk-(\\d+)");

  private final FlinkRestClient rest;
  private final Path jar;
  private final JarRunRequest request;
  private final Path checkpointsDir;
  private final List<String> jobIds = new ArrayList<>(); // guarded by this, oldest first
  private String jarId; // guarded by this

  private SupervisedJob(
      FlinkRestClient rest, Path jar, JarRunRequest request, Path checkpointsDir, String jarId) {
    this.rest = rest;
    this.jar = jar;
    this.request = request;
    this.checkpointsDir = checkpointsDir;
    this.jarId = jarId;
  }

  /**
   * Uploads {@code jar} and runs {@code request}; returns once the job is submitted.
   *
   * @param checkpointsDir the cluster's checkpoint folder ({@link
   *     FlinkClusterConfig#checkpointsDir()}), where a resubmission looks for the newest checkpoint
   */
  public static SupervisedJob submit(
      FlinkRestClient rest, Path jar, JarRunRequest request, Path checkpointsDir) {
    SupervisedJob job = new SupervisedJob(rest, jar, request, checkpointsDir, rest.uploadJar(jar));
    String id = rest.runJar(job.jarId, request);
    synchronized (job) {
      job.jobIds.add(id);
    }
    return job;
  }

  /** The id of the job submitted last. */
  public synchronized String id() {
    return jobIds.get(jobIds.size() - 1);
  }

  /** Every id the job has had, the first submission first. */
  public synchronized List<String> ids() {
    return List.copyOf(jobIds);
  }

  @Override
  public String name() {
    return "Flink job";
  }

  @Override
  public Optional<String> failure() {
    String id = id();
    List<JobSummary> jobs;
    try {
      jobs = rest.jobs();
    } catch (FlinkRestException e) {
      return Optional.empty(); // the JobManager is down: its own supervision brings it back
    }
    Optional<JobSummary> job = jobs.stream().filter(j -> j.id().equals(id)).findFirst();
    if (job.isEmpty()) {
      return Optional.of(
          id
              + " is gone: the JobManager restarted, and a standalone cluster keeps no jobs"
              + " across restarts");
    }
    if ("FAILED".equals(job.get().state())) {
      return Optional.of(id + " FAILED: " + firstLine(rootException(id)));
    }
    return Optional.empty();
  }

  private String rootException(String id) {
    try {
      return rest.rootException(id);
    } catch (FlinkRestException e) {
      return "(its exceptions could not be read: " + e.getMessage() + ")";
    }
  }

  private static String firstLine(String text) {
    return text.lines().findFirst().orElse("no exception recorded");
  }

  @Override
  public String restart() {
    List<String> lineage = ids();
    Optional<Path> checkpoint = latestCheckpoint(checkpointsDir, lineage);
    String jar;
    synchronized (this) {
      if (!rest.jarIds().contains(jarId)) {
        jarId = rest.uploadJar(this.jar);
      }
      jar = jarId;
    }
    JarRunRequest run =
        new JarRunRequest(
            request.entryClass(),
            request.programArgs(),
            request.parallelism(),
            checkpoint.map(Path::toString).orElse(null),
            false);
    String id = rest.runJar(jar, run);
    synchronized (this) {
      jobIds.add(id);
    }
    return "as job "
        + id
        + checkpoint
            .map(c -> " from checkpoint " + c)
            .orElse(
                " from the start of its input: no completed checkpoint of "
                    + lineage
                    + " was found in "
                    + checkpointsDir);
  }

  /**
   * The newest completed checkpoint of the newest job in {@code jobIds} that has one: the {@code
   * chk-N} folder with the highest N that holds a {@code _metadata} file.
   *
   * @param jobIds the ids a job has had, oldest first
   */
  static Optional<Path> latestCheckpoint(Path checkpointsDir, List<String> jobIds) {
    for (int i = jobIds.size() - 1; i >= 0; i--) {
      Path dir = checkpointsDir.resolve(jobIds.get(i));
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> s = Files.list(dir)) {
        Optional<Path> newest =
            s.filter(p -> CHECKPOINT_DIR.matcher(p.getFileName().toString()).matches())
                .filter(p -> Files.isRegularFile(p.resolve("_metadata")))
                .max(Comparator.comparingLong(SupervisedJob::checkpointNumber));
        if (newest.isPresent()) {
          return Optional.of(newest.get().toAbsolutePath());
        }
      } catch (IOException e) {
        throw new StackException("could not list the checkpoints in " + dir + ": " + e, e);
      }
    }
    return Optional.empty();
  }

  private static long checkpointNumber(Path chk) {
    Matcher m = CHECKPOINT_DIR.matcher(chk.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  /** Cancels the job submitted last and deletes its jar, for the demo's teardown. */
  public void cancel() {
    String jar;
    synchronized (this) {
      jar = jarId;
    }
    try {
      rest.cancelAndWait(id(), Duration.ofSeconds(60));
    } finally {
      try {
        rest.deleteJar(jar);
      } catch (FlinkRestException ignored) {
        // the cluster may be gone already; the jar goes with it
      }
    }
  }
}
