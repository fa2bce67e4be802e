package io.freshet.deploy.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Stop-with-savepoint, job listing and restore info against a stand-in for Flink's REST API. */
class FlinkSavepointRestTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private HttpServer server;
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private final List<String> bodies = new CopyOnWriteArrayList<>();

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void stops_with_a_savepoint_without_draining_and_waits_for_its_location() throws Exception {
    FlinkRestClient client =
        serve(
            Map.of(
                "POST /jobs/j1/stop",
                List.of("{\"request-id\":\"t1\"}"),
                "GET /jobs/j1/savepoints/t1",
                List.of(
                    "{\"status\":{\"id\":\"IN_PROGRESS\"}}",
                    "{\"status\":{\"id\":\"COMPLETED\"},"
                        + "\"operation\":{\"location\":\"file:/sp/savepoint-j1-abc\"}}")));
    String trigger = client.stopWithSavepoint("j1", "file:/sp", false);
    assertThat(trigger).isEqualTo("t1");
    assertThat(JSON.readValue(bodies.get(0), Map.class))
        .isEqualTo(Map.of("drain", false, "targetDirectory", "file:/sp"));
    assertThat(client.awaitSavepoint("j1", trigger, Duration.ofSeconds(10)))
        .isEqualTo("file:/sp/savepoint-j1-abc");
    assertThat(seen)
        .containsExactly(
            "POST /jobs/j1/stop", "GET /jobs/j1/savepoints/t1", "GET /jobs/j1/savepoints/t1");
  }

  @Test
  void leaves_the_directory_to_the_cluster_when_none_is_given() throws Exception {
    FlinkRestClient client = new FlinkRestClient(URI.create("http://localhost:8081"));
    var request = client.stopRequest("j1", null, false);
    assertThat(request.uri().getPath()).isEqualTo("/jobs/j1/stop");
    assertThat(request.method()).isEqualTo("POST");
  }

  @Test
  void a_failed_savepoint_says_why() throws Exception {
    FlinkRestClient client =
        serve(
            Map.of(
                "GET /jobs/j1/savepoints/t1",
                List.of(
                    "{\"status\":{\"id\":\"COMPLETED\"},\"operation\":{\"failure-cause\":"
                        + "{\"class\":\"java.lang.IllegalStateException\",\"stack-trace\":"
                        + "\"java.lang.IllegalStateException: No savepoint directory configured\"}}}")));
    assertThatThrownBy(() -> client.awaitSavepoint("j1", "t1", Duration.ofSeconds(5)))
        .isInstanceOf(FlinkRestException.class)
        .hasMessage(
            "the savepoint of job j1 failed:\n"
                + "java.lang.IllegalStateException: No savepoint directory configured");
  }

  @Test
  void lists_jobs_and_reads_what_a_job_restored() throws Exception {
    FlinkRestClient client =
        serve(
            Map.of(
                "GET /jobs/overview",
                List.of(
                    "{\"jobs\":[{\"jid\":\"j1\",\"name\":\"freshet: user_activity\","
                        + "\"state\":\"RUNNING\",\"start-time\":1700000000000},"
                        + "{\"jid\":\"j0\",\"name\":\"freshet: user_activity\","
                        + "\"state\":\"FINISHED\",\"start-time\":1600000000000}]}"),
                "GET /jobs/j1/checkpoints",
                List.of(
                    "{\"latest\":{\"completed\":null,\"restored\":{\"id\":7,"
                        + "\"restore_timestamp\":1700000000500,\"is_savepoint\":true,"
                        + "\"external_path\":\"file:/sp/savepoint-j0-abc\"}}}"),
                "GET /jobs/j2/checkpoints",
                List.of("{\"latest\":{\"completed\":null,\"restored\":null}}")));
    assertThat(client.jobs())
        .containsExactly(
            new JobSummary("j1", "freshet: user_activity", "RUNNING", 1700000000000L),
            new JobSummary("j0", "freshet: user_activity", "FINISHED", 1600000000000L));
    assertThat(client.jobs().get(0).isActive()).isTrue();
    assertThat(client.jobs().get(1).isActive()).isFalse();
    assertThat(client.restored("j1"))
        .contains(new RestoredCheckpoint(7, true, "file:/sp/savepoint-j0-abc"));
    assertThat(client.restored("j2")).isEmpty();
  }

  @Test
  void a_bounded_job_that_fails_reports_its_root_exception() throws Exception {
    FlinkRestClient client =
        serve(
            Map.of(
                "GET /jobs/b1",
                List.of("{\"jid\":\"b1\",\"name\":\"x\",\"state\":\"FAILED\",\"vertices\":[]}"),
                "GET /jobs/b1/exceptions",
                List.of("{\"root-exception\":\"java.io.FileNotFoundException: /no/such.jsonl\"}")));
    assertThatThrownBy(() -> client.awaitFinished("b1", Duration.ofSeconds(5)))
        .isInstanceOf(FlinkRestException.class)
        .hasMessage("job b1 ended in state FAILED:\njava.io.FileNotFoundException: /no/such.jsonl");
  }

  /**
   * Answers "METHOD /path" with the next of its answers, repeating the last; bodies are recorded.
   */
  private FlinkRestClient serve(Map<String, List<String>> routes) throws IOException {
    Map<String, Deque<String>> answers = new HashMap<>();
    routes.forEach((k, v) -> answers.put(k, new ArrayDeque<>(v)));
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          String key = exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath();
          seen.add(key);
          Deque<String> queue = answers.get(key);
          String answer;
          int status = 200;
          if (queue == null) {
            answer = "{\"errors\":[\"Not found: " + key + "\"]}";
            status = 404;
          } else {
            answer = queue.size() > 1 ? queue.poll() : queue.peek();
          }
          byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(status, bytes.length);
          exchange.getResponseBody().write(bytes);
          exchange.close();
        });
    server.start();
    return new FlinkRestClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()));
  }
}
