package io.freshet.deploy.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlinkRestClientTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private HttpServer server;
  private final List<String> seen = new CopyOnWriteArrayList<>();

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void a_failures_reason_is_its_first_line_and_its_innermost_cause() {
    JobFailure f =
        new JobFailure(
            1L,
            "",
            "org.apache.flink.util.FlinkException: Global failure triggered by OperatorCoordinator"
                + " for 'Source: clicks'.\n"
                + "\tat org.apache.flink.runtime.A.b(A.java:1)\n"
                + "Caused by: org.apache.flink.util.FlinkRuntimeException: discovery failed\n"
                + "\tat org.apache.flink.C.d(C.java:2)\n"
                + "Caused by: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This"
                + " server does not host this topic-partition.\n"
                + "\t... 3 more\n");
    assertThat(f.reason())
        .isEqualTo(
            "org.apache.flink.util.FlinkException: Global failure triggered by OperatorCoordinator"
                + " for 'Source: clicks'.\n"
                + "    caused by: org.apache.kafka.common.errors.UnknownTopicOrPartitionException:"
                + " This server does not host this topic-partition.");
    assertThat(new JobFailure(1L, "Map", "java.lang.IllegalStateException: boom\n\tat x").reason())
        .isEqualTo("java.lang.IllegalStateException: boom");
  }

  @Test
  void run_request_posts_entry_class_and_arguments_as_a_list() throws Exception {
    FlinkRestClient client = new FlinkRestClient(URI.create("http://localhost:8081/"));
    HttpRequest r =
        client.runRequest(
            "abc_job.jar",
            JarRunRequest.of("io.freshet.flink.FeatureJob", List.of("--views", "a b,c")));
    assertThat(r.method()).isEqualTo("POST");
    assertThat(r.uri()).isEqualTo(URI.create("http://localhost:8081/jars/abc_job.jar/run"));
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(JSON.readValue(body(r), Map.class))
        .isEqualTo(
            Map.of(
                "entryClass",
                "io.freshet.flink.FeatureJob",
                "programArgsList",
                List.of("--views", "a b,c")));
  }

  @Test
  void run_request_carries_parallelism_and_savepoint_when_given() throws Exception {
    JarRunRequest run = new JarRunRequest("x.Main", List.of(), 4, "file:///tmp/savepoint-1", true);
    assertThat(JSON.readValue(FlinkRestClient.toJson(run), Map.class))
        .containsEntry("parallelism", 4)
        .containsEntry("savepointPath", "file:///tmp/savepoint-1")
        .containsEntry("allowNonRestoredState", true);
  }

  @Test
  void upload_request_is_multipart_with_the_jar_in_field_jarfile() throws Exception {
    Path jar = dir.resolve("job.jar");
    byte[] content = {'P', 'K', 3, 4, 0, (byte) 0xff};
    Files.write(jar, content);
    HttpRequest r = new FlinkRestClient(URI.create("http://localhost:8081")).uploadRequest(jar);
    assertThat(r.uri().getPath()).isEqualTo("/jars/upload");
    String contentType = r.headers().firstValue("Content-Type").orElseThrow();
    assertThat(contentType).startsWith("multipart/form-data; boundary=");
    String boundary = contentType.substring(contentType.indexOf('=') + 1);
    byte[] body = body(r);
    String text = new String(body, StandardCharsets.ISO_8859_1);
    assertThat(text)
        .startsWith(
            "--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"job.jar\"\r\n"
                + "Content-Type: application/x-java-archive\r\n\r\n")
        .endsWith("\r\n--" + boundary + "--\r\n")
        .contains(new String(content, StandardCharsets.ISO_8859_1));
  }

  @Test
  void rejects_a_file_name_that_breaks_the_multipart_header() {
    assertThatThrownBy(
            () ->
                Multipart.ofFile(
                    "b", "jarfile", "a\"b.jar", "application/x-java-archive", new byte[0]))
        .hasMessageContaining("cannot be sent in a multipart header");
  }

  @Test
  void upload_then_run_returns_the_ids_flink_gave() throws Exception {
    FlinkRestClient client =
        serve(
            Map.of(
                "POST /jars/upload",
                "{\"filename\":\"/tmp/flink-web/flink-web-upload/1f2e_job.jar\",\"status\":\"success\"}",
                "POST /jars/1f2e_job.jar/run",
                "{\"jobid\":\"a1b2c3\"}"));
    Path jar = Files.write(dir.resolve("job.jar"), new byte[] {1, 2, 3});
    String jarId = client.uploadJar(jar);
    assertThat(jarId).isEqualTo("1f2e_job.jar");
    assertThat(client.runJar(jarId, JarRunRequest.of("x.Main", List.of()))).isEqualTo("a1b2c3");
    assertThat(seen).containsExactly("POST /jars/upload", "POST /jars/1f2e_job.jar/run");
  }

  @Test
  void job_details_tell_whether_every_vertex_runs() throws Exception {
    FlinkRestClient client =
        serve(
            Map.of(
                "GET /jobs/j1",
                "{\"jid\":\"j1\",\"name\":\"freshet\",\"state\":\"RUNNING\",\"vertices\":["
                    + "{\"name\":\"Source\",\"status\":\"RUNNING\",\"parallelism\":2},"
                    + "{\"name\":\"Sink\",\"status\":\"INITIALIZING\",\"parallelism\":2}]}"));
    JobDetails job = client.job("j1");
    assertThat(job.state()).isEqualTo("RUNNING");
    assertThat(job.allRunning()).isFalse();
    assertThat(job.vertexStates()).isEqualTo("[Source=RUNNING, Sink=INITIALIZING]");
  }

  @Test
  void an_error_names_the_request_the_status_and_what_flink_said() throws Exception {
    FlinkRestClient client =
        serve(
            Map.of(
                "POST /jars/nope.jar/run",
                "400 {\"errors\":[\"org.apache.flink.runtime.rest.handler.RestHandlerException:"
                    + " Jar file /tmp/nope.jar does not exist\"]}"));
    assertThatThrownBy(() -> client.runJar("nope.jar", JarRunRequest.of("x.Main", List.of())))
        .isInstanceOf(FlinkRestException.class)
        .hasMessageContaining("could not run x.Main from jar nope.jar")
        .hasMessageContaining("POST /jars/nope.jar/run answered 400")
        .hasMessageContaining("Jar file /tmp/nope.jar does not exist")
        .extracting(e -> ((FlinkRestException) e).status())
        .isEqualTo(400);
  }

  @Test
  void an_unreachable_cluster_says_where_it_looked() throws IOException {
    int port;
    try (var s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    FlinkRestClient client = new FlinkRestClient(URI.create("http://127.0.0.1:" + port));
    assertThatThrownBy(client::overview)
        .isInstanceOf(FlinkRestException.class)
        .hasMessageContaining("nothing answers at http://127.0.0.1:" + port)
        .hasMessageContaining("FRESHET_FLINK");
  }

  /** A stand-in for Flink's REST endpoint: "METHOD /path" to "[status ]body". */
  private FlinkRestClient serve(Map<String, String> routes) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          String key = exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath();
          seen.add(key);
          String answer = routes.getOrDefault(key, "404 {\"errors\":[\"Not found: " + key + "\"]}");
          int status = 200;
          if (answer.matches("\\d{3} .*")) {
            status = Integer.parseInt(answer.substring(0, 3));
            answer = answer.substring(4);
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

  private static byte[] body(HttpRequest r) throws InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    r.bodyPublisher()
        .orElseThrow()
        .subscribe(
            new Flow.Subscriber<ByteBuffer>() {
              @Override
              public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
              }

              @Override
              public void onNext(ByteBuffer b) {
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.writeBytes(chunk);
              }

              @Override
              public void onError(Throwable t) {
                done.countDown();
              }

              @Override
              public void onComplete() {
                done.countDown();
              }
            });
    done.await();
    return out.toByteArray();
  }
}
