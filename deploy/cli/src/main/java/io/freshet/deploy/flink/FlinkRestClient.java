package io.freshet.deploy.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * A client of Flink's REST API for what the {@code freshet} command does with a cluster: upload a
 * job jar, run it, watch the job, cancel it, stop it with a savepoint. It speaks to any Flink 2.x
 * cluster exactly as a user would (the local one of {@code freshet demo}, or the one named by
 * {@code FRESHET_FLINK}).
 *
 * <p>Thread-safe.
 */
public final class FlinkRestClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final Set<String> TERMINAL = Set.of("FAILED", "CANCELED", "FINISHED", "SUSPENDED");

  private final URI baseUri;
  private final HttpClient http;

  /**
   * @param baseUri the REST endpoint, e.g. {@code http://localhost:8081}
   */
  public FlinkRestClient(URI baseUri) {
    String s = baseUri.toString();
    this.baseUri = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  public URI baseUri() {
    return baseUri;
  }

  /** {@code GET /overview}: the cluster's TaskManagers, slots and jobs. */
  public ClusterOverview overview() {
    JsonNode n = send(get("/overview"), "read the cluster overview");
    return new ClusterOverview(
        n.path("taskmanagers").asInt(),
        n.path("slots-total").asInt(),
        n.path("slots-available").asInt(),
        n.path("jobs-running").asInt(),
        n.path("flink-version").asText(""));
  }

  /** {@code POST /jars/upload}: uploads a jar and returns the id Flink gave it. */
  public String uploadJar(Path jar) {
    HttpRequest request = uploadRequest(jar);
    JsonNode n = send(request, "upload " + jar.getFileName());
    String file = n.path("filename").asText("");
    if (file.isEmpty()) {
      throw new FlinkRestException(
          "Flink accepted the upload of " + jar + " but named no file: " + n, 200, List.of(), null);
    }
    return file.substring(file.lastIndexOf('/') + 1);
  }

  /** {@code GET /jars}: the ids of the uploaded jars. */
  public List<String> jarIds() {
    JsonNode n = send(get("/jars"), "list the uploaded jars");
    List<String> ids = new ArrayList<>();
    n.path("files").forEach(f -> ids.add(f.path("id").asText()));
    return ids;
  }

  /** {@code DELETE /jars/{jarId}}. */
  public void deleteJar(String jarId) {
    send(request("/jars/" + jarId).DELETE().build(), "delete jar " + jarId);
  }

  /** {@code POST /jars/{jarId}/run}: runs the jar's program, which submits a job; its id. */
  public String runJar(String jarId, JarRunRequest run) {
    JsonNode n = send(runRequest(jarId, run), "run " + run.entryClass() + " from jar " + jarId);
    String jobId = n.path("jobid").asText("");
    if (jobId.isEmpty()) {
      throw new FlinkRestException(
          "Flink ran " + run.entryClass() + " but returned no job id: " + n, 200, List.of(), null);
    }
    return jobId;
  }

  /** {@code GET /jobs/{jobId}}: the job's state and the state of each of its vertices. */
  public JobDetails job(String jobId) {
    JsonNode n = send(get("/jobs/" + jobId), "read job " + jobId);
    List<JobDetails.Vertex> vertices = new ArrayList<>();
    n.path("vertices")
        .forEach(
            v ->
                vertices.add(
                    new JobDetails.Vertex(
                        v.path("name").asText(),
                        v.path("status").asText(),
                        v.path("parallelism").asInt())));
    return new JobDetails(jobId, n.path("name").asText(), n.path("state").asText(), vertices);
  }

  /**
   * {@code GET /jobs/{jobId}}: the job's state and the records each of its vertices has handled so
   * far, for a progress display.
   */
  public JobRecords records(String jobId) {
    JsonNode n = send(get("/jobs/" + jobId), "read job " + jobId);
    List<VertexRecords> vertices = new ArrayList<>();
    n.path("vertices")
        .forEach(
            v ->
                vertices.add(
                    new VertexRecords(
                        v.path("id").asText(),
                        v.path("name").asText(),
                        v.path("status").asText(),
                        v.path("metrics").path("read-records").asLong(),
                        v.path("metrics").path("write-records").asLong())));
    return new JobRecords(jobId, n.path("state").asText(), vertices);
  }

  /** The root exception of a failed job, from {@code GET /jobs/{jobId}/exceptions}, or "". */
  public String rootException(String jobId) {
    JsonNode n = send(get("/jobs/" + jobId + "/exceptions"), "read the exceptions of job " + jobId);
    JsonNode history = n.path("exceptionHistory").path("entries");
    if (history.isArray() && !history.isEmpty()) {
      return history.get(0).path("stacktrace").asText("");
    }
    return n.path("root-exception").asText("");
  }

  /** {@code GET /jobmanager/config}: the cluster's configuration, key to value. */
  public Map<String, String> clusterConfig() {
    JsonNode n = send(get("/jobmanager/config"), "read the cluster configuration");
    Map<String, String> config = new LinkedHashMap<>();
    n.forEach(e -> config.put(e.path("key").asText(), e.path("value").asText()));
    return config;
  }

  /**
   * The failures in the job's exception history ({@code GET /jobs/{jobId}/exceptions}), newest
   * first; empty while the job has not failed.
   */
  public List<JobFailure> failures(String jobId) {
    JsonNode n = send(get("/jobs/" + jobId + "/exceptions"), "read the exceptions of job " + jobId);
    List<JobFailure> failures = new ArrayList<>();
    n.path("exceptionHistory")
        .path("entries")
        .forEach(
            e ->
                failures.add(
                    new JobFailure(
                        e.path("timestamp").asLong(),
                        e.path("taskName").isNull() ? "" : e.path("taskName").asText(""),
                        e.path("stacktrace").asText(e.path("exceptionName").asText("")))));
    return failures;
  }

  /**
   * Waits until the job runs (the job and every vertex RUNNING), and gives up as soon as it cannot
   * start instead of waiting out {@code timeout}: when it ends, or when its exception history holds
   * {@code maxFailures} failures before it ran. A failure or two that restarts cure (a broker
   * electing a leader) does not count against the job. The job is left as it is; the caller decides
   * whether to cancel it.
   *
   * @throws JobStartException when the job could not start, with Flink's reason
   * @throws FlinkRestException when the job did not run within {@code timeout}
   */
  public JobDetails awaitStarted(String jobId, Duration timeout, int maxFailures) {
    long deadline = System.nanoTime() + timeout.toNanos();
    JobDetails last = null;
    while (System.nanoTime() < deadline) {
      last = job(jobId);
      List<JobFailure> failures = failures(jobId);
      if (TERMINAL.contains(last.state()) || failures.size() >= maxFailures) {
        // A job can end before its history records why; give it a moment.
        long reasonDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (failures.isEmpty() && System.nanoTime() < reasonDeadline) {
          sleep(250);
          failures = failures(jobId);
        }
        throw new JobStartException(jobId, last.name(), last.state(), failures);
      }
      if (last.allRunning()) {
        return last;
      }
      sleep(500);
    }
    throw new FlinkRestException(
        "job "
            + jobId
            + " was not running after "
            + timeout.toSeconds()
            + " s (state "
            + (last == null ? "unknown" : last.state() + ", vertices " + last.vertexStates())
            + "); see the Flink web UI at "
            + baseUri,
        0,
        List.of(),
        null);
  }

  /**
   * Waits until the job is RUNNING with every vertex RUNNING; fails with the job's root exception
   * when it ends instead.
   */
  public JobDetails awaitRunning(String jobId, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    JobDetails last = null;
    while (System.nanoTime() < deadline) {
      last = job(jobId);
      if (last.allRunning()) {
        return last;
      }
      if (TERMINAL.contains(last.state())) {
        String cause = rootException(jobId);
        throw new FlinkRestException(
            "job "
                + jobId
                + " ("
                + last.name()
                + ") ended in state "
                + last.state()
                + " instead of running"
                + (cause.isEmpty() ? "" : ":\n" + firstLines(cause, 15)),
            200,
            List.of(cause),
            null);
      }
      sleep(500);
    }
    throw new FlinkRestException(
        "job "
            + jobId
            + " was not running after "
            + timeout.toSeconds()
            + " s (state "
            + (last == null ? "unknown" : last.state() + ", vertices " + last.vertexStates())
            + "); see the Flink web UI at "
            + baseUri,
        0,
        List.of(),
        null);
  }

  /** {@code PATCH /jobs/{jobId}?mode=cancel}: asks Flink to cancel the job. */
  public void cancel(String jobId) {
    send(
        request("/jobs/" + jobId + "?mode=cancel")
            .method("PATCH", HttpRequest.BodyPublishers.noBody())
            .build(),
        "cancel job " + jobId);
  }

  /** Cancels the job and waits until it has reached a terminal state; its final state. */
  public String cancelAndWait(String jobId, Duration timeout) {
    String state = job(jobId).state();
    if (TERMINAL.contains(state)) {
      return state;
    }
    cancel(jobId);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      state = job(jobId).state();
      if (TERMINAL.contains(state)) {
        return state;
      }
      sleep(250);
    }
    throw new FlinkRestException(
        "job " + jobId + " was still " + state + " " + timeout.toSeconds() + " s after cancelling",
        0,
        List.of(),
        null);
  }

  /** {@code GET /jobs/overview}: every job the cluster knows, running or ended. */
  public List<JobSummary> jobs() {
    JsonNode n = send(get("/jobs/overview"), "list the jobs");
    List<JobSummary> jobs = new ArrayList<>();
    n.path("jobs")
        .forEach(
            j ->
                jobs.add(
                    new JobSummary(
                        j.path("jid").asText(),
                        j.path("name").asText(),
                        j.path("state").asText(),
                        j.path("start-time").asLong())));
    return jobs;
  }

  /**
   * {@code POST /jobs/{jobId}/stop}: takes a savepoint and stops the job once it is complete; the
   * id of the operation, for {@link #awaitSavepoint}.
   *
   * @param targetDirectory where the savepoint goes, or null for the cluster's {@code
   *     execution.checkpointing.savepoint-dir}
   * @param drain whether to emit MAX_WATERMARK first, firing every window (not for upgrades: the
   *     job that resumes would find its windows already fired)
   */
  public String stopWithSavepoint(String jobId, String targetDirectory, boolean drain) {
    JsonNode n =
        send(stopRequest(jobId, targetDirectory, drain), "stop job " + jobId + " with a savepoint");
    String trigger = n.path("request-id").asText("");
    if (trigger.isEmpty()) {
      throw new FlinkRestException(
          "Flink accepted the stop of job " + jobId + " but returned no request id: " + n,
          200,
          List.of(),
          null);
    }
    return trigger;
  }

  /**
   * Waits for the savepoint operation {@code triggerId} of a job and returns the savepoint's
   * location; fails with Flink's reason when the savepoint failed (the job then keeps running).
   */
  public String awaitSavepoint(String jobId, String triggerId, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode n =
          send(
              get("/jobs/" + jobId + "/savepoints/" + triggerId),
              "read the savepoint status of job " + jobId);
      if ("COMPLETED".equals(n.path("status").path("id").asText())) {
        JsonNode op = n.path("operation");
        String location = op.path("location").asText("");
        if (!location.isEmpty()) {
          return location;
        }
        JsonNode failure = op.path("failure-cause");
        String cause = failure.path("stack-trace").asText(failure.path("class").asText(""));
        throw new FlinkRestException(
            "the savepoint of job "
                + jobId
                + " failed"
                + (cause.isEmpty() ? "" : ":\n" + firstLines(cause, 15)),
            200,
            List.of(cause),
            null);
      }
      sleep(500);
    }
    throw new FlinkRestException(
        "the savepoint of job "
            + jobId
            + " was not complete after "
            + timeout.toSeconds()
            + " s; see the Flink web UI at "
            + baseUri,
        0,
        List.of(),
        null);
  }

  /** Waits until the job has reached a final state (FINISHED, FAILED, CANCELED...); that state. */
  public String awaitTerminal(String jobId, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String state = "unknown";
    while (System.nanoTime() < deadline) {
      state = job(jobId).state();
      if (TERMINAL.contains(state)) {
        return state;
      }
      sleep(500);
    }
    throw new FlinkRestException(
        "job "
            + jobId
            + " was still "
            + state
            + " after "
            + timeout.toSeconds()
            + " s; see the Flink web UI at "
            + baseUri,
        0,
        List.of(),
        null);
  }

  /** Waits for a bounded job to end; fails with its root exception unless it FINISHED. */
  public void awaitFinished(String jobId, Duration timeout) {
    String state = awaitTerminal(jobId, timeout);
    if (!"FINISHED".equals(state)) {
      String cause = rootException(jobId);
      throw new FlinkRestException(
          "job "
              + jobId
              + " ended in state "
              + state
              + (cause.isEmpty() ? "" : ":\n" + firstLines(cause, 15)),
          200,
          List.of(cause),
          null);
    }
  }

  /**
   * What the job restored its state from ({@code latest.restored} of {@code GET
   * /jobs/{jobId}/checkpoints}), or empty when it started without state.
   */
  public Optional<RestoredCheckpoint> restored(String jobId) {
    JsonNode n =
        send(get("/jobs/" + jobId + "/checkpoints"), "read the checkpoints of job " + jobId);
    JsonNode r = n.path("latest").path("restored");
    if (!r.isObject()) {
      return Optional.empty();
    }
    return Optional.of(
        new RestoredCheckpoint(
            r.path("id").asLong(),
            r.path("is_savepoint").asBoolean(),
            r.path("external_path").asText("")));
  }

  HttpRequest uploadRequest(Path jar) {
    byte[] content;
    try {
      content = Files.readAllBytes(jar);
    } catch (IOException e) {
      throw new FlinkRestException(
          "could not read the jar " + jar + ": " + e.getMessage(), 0, List.of(), e);
    }
    Multipart body =
        Multipart.ofFile(
            "freshet-" + UUID.randomUUID(),
            "jarfile",
            jar.getFileName().toString(),
            "application/x-java-archive",
            content);
    return request("/jars/upload")
        .timeout(Duration.ofMinutes(2))
        .header("Content-Type", body.contentType())
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes()))
        .build();
  }

  HttpRequest runRequest(String jarId, JarRunRequest run) {
    return request("/jars/" + jarId + "/run")
        .timeout(Duration.ofMinutes(2))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(toJson(run)))
        .build();
  }

  HttpRequest stopRequest(String jobId, String targetDirectory, boolean drain) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("drain", drain);
    if (targetDirectory != null) {
      body.put("targetDirectory", targetDirectory);
    }
    String json;
    try {
      json = JSON.writeValueAsString(body);
    } catch (IOException e) {
      throw new IllegalStateException("a map of a boolean and a string is always serializable", e);
    }
    return request("/jobs/" + jobId + "/stop")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json))
        .build();
  }

  static String toJson(JarRunRequest run) {
    try {
      return JSON.writeValueAsString(run.body());
    } catch (IOException e) {
      throw new IllegalStateException("a JarRunRequest is always serializable", e);
    }
  }

  private HttpRequest get(String path) {
    return request(path).GET().build();
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(baseUri + path))
        .timeout(Duration.ofSeconds(30))
        .header("Accept", "application/json");
  }

  private JsonNode send(HttpRequest request, String what) {
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new FlinkRestException(
          "could not "
              + what
              + ": nothing answers at "
              + baseUri
              + " (is a Flink cluster running there? check --flink or FRESHET_FLINK)",
          0,
          List.of(),
          e);
    } catch (HttpTimeoutException e) {
      throw new FlinkRestException(
          "could not " + what + ": " + baseUri + " did not answer in time", 0, List.of(), e);
    } catch (IOException e) {
      throw new FlinkRestException(
          "could not " + what + " at " + baseUri + ": " + e, 0, List.of(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FlinkRestException("interrupted while trying to " + what, 0, List.of(), e);
    }
    JsonNode body = parse(response.body());
    if (response.statusCode() >= 300) {
      List<String> errors = new ArrayList<>();
      body.path("errors").forEach(e -> errors.add(e.asText()));
      String detail = errors.isEmpty() ? response.body() : String.join("\n", errors);
      throw new FlinkRestException(
          "could not "
              + what
              + ": "
              + request.method()
              + " "
              + request.uri().getPath()
              + " answered "
              + response.statusCode()
              + (detail.isBlank() ? "" : ":\n" + firstLines(detail, 25)),
          response.statusCode(),
          errors,
          null);
    }
    return body;
  }

  private static JsonNode parse(String body) {
    if (body == null || body.isBlank()) {
      return JSON.createObjectNode();
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return JSON.createObjectNode().put("raw", body);
    }
  }

  static String firstLines(String text, int lines) {
    String[] all = text.strip().split("\n");
    if (all.length <= lines) {
      return text.strip();
    }
    return String.join("\n", List.of(all).subList(0, lines))
        + "\n\t... "
        + (all.length - lines)
        + " more lines";
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FlinkRestException("interrupted while waiting for Flink", 0, List.of(), e);
    }
  }
}
