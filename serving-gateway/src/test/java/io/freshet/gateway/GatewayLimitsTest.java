package io.freshet.gateway;

import static io.freshet.gateway.GatewayClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Requests over the configured limits get a 4xx naming the limit, before Redis is asked. */
class GatewayLimitsTest {
  private static final int MAX_BODY = 4096;
  private static final int MAX_ENTITIES = 5;
  private static final int MAX_FEATURES = 3;

  private static GatewayFixture fixture;
  private static GatewayClient client;
  private int mark;

  @BeforeAll
  static void start() throws IOException {
    fixture =
        new GatewayFixture(
            config ->
                config.withLimits(
                    GatewayLimits.defaults()
                        .withMaxBodyBytes(MAX_BODY)
                        .withMaxEntities(MAX_ENTITIES)
                        .withMaxFeatures(MAX_FEATURES)
                        .withBodyTimeout(Duration.ofMillis(200))));
    client = fixture.client;
  }

  @AfterAll
  static void stop() throws IOException {
    if (fixture != null) {
      fixture.close();
    }
  }

  @BeforeEach
  void markCommands() {
    mark = fixture.commands().size();
  }

  @Test
  void entities_at_the_limit_are_served_and_one_more_is_400_naming_the_limit() {
    assertThat(
            client.post("/get-online-features", request(MAX_FEATURES, MAX_ENTITIES)).statusCode())
        .isEqualTo(200);
    mark = fixture.commands().size();

    HttpResponse<String> response =
        client.post("/get-online-features", request(1, MAX_ENTITIES + 1));

    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode body = json(response);
    assertThat(body.get("error").asText()).isEqualTo("too_many_entities");
    assertThat(body.get("field").asText()).isEqualTo("entities.user_id");
    assertThat(body.get("value").asText()).isEqualTo("6");
    assertThat(body.get("limit").asLong()).isEqualTo(MAX_ENTITIES);
    assertThat(body.get("message").asText())
        .isEqualTo(
            "entities.user_id holds 6 values, more than the limit of 5 entities per request (split"
                + " the request, or raise the gateway's maxEntities limit)");
    assertThat(fixture.commandsSince(mark)).isEmpty();
  }

  @Test
  void one_feature_over_the_limit_is_400_naming_the_limit() {
    HttpResponse<String> response =
        client.post("/get-online-features", request(MAX_FEATURES + 1, 1));

    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode body = json(response);
    assertThat(body.get("error").asText()).isEqualTo("too_many_features");
    assertThat(body.get("field").asText()).isEqualTo("features");
    assertThat(body.get("value").asText()).isEqualTo("4");
    assertThat(body.get("limit").asLong()).isEqualTo(MAX_FEATURES);
    assertThat(fixture.commandsSince(mark)).isEmpty();
  }

  @Test
  void a_body_over_the_limit_is_413_from_its_content_length_and_the_connection_stays_usable()
      throws IOException {
    byte[] large = padded(MAX_BODY + 1);
    try (KeepAliveConnection connection = new KeepAliveConnection(client.port())) {
      GatewayClient.RawResponse refused = connection.send(post(large, ""));
      GatewayClient.RawResponse next =
          connection.send(post(request(1, 1).getBytes(StandardCharsets.UTF_8), ""));

      assertThat(refused.statusCode()).isEqualTo(413);
      JsonNode body = refused.json();
      assertThat(body.get("error").asText()).isEqualTo("body_too_large");
      assertThat(body.get("field").asText()).isEqualTo("body");
      assertThat(body.get("value").asText()).isEqualTo(Integer.toString(MAX_BODY + 1));
      assertThat(body.get("limit").asLong()).isEqualTo(MAX_BODY);
      assertThat(body.get("message").asText())
          .isEqualTo(
              "the request body is 4097 bytes, more than the limit of 4096 bytes (split the"
                  + " request into smaller ones)");
      assertThat(next.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void a_chunked_body_is_413_once_it_passes_the_limit() throws IOException {
    byte[] large = padded(3 * MAX_BODY);
    StringBuilder chunked =
        new StringBuilder(
            "POST /get-online-features HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int at = 0; at < large.length; at += 1000) {
      int n = Math.min(1000, large.length - at);
      chunked
          .append(Integer.toHexString(n))
          .append("\r\n")
          .append(new String(large, at, n, StandardCharsets.US_ASCII))
          .append("\r\n");
    }
    chunked.append("0\r\n\r\n");

    GatewayClient.RawResponse response =
        client.raw(chunked.toString().getBytes(StandardCharsets.US_ASCII));

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(response.json().get("message").asText())
        .startsWith("the request body has at least ")
        .endsWith("bytes, more than the limit of 4096 bytes (split the request into smaller ones)");
  }

  @Test
  void expect_continue_over_the_limit_is_413_without_reading_the_body() throws IOException {
    try (Socket socket = new Socket("127.0.0.1", client.port())) {
      socket.setSoTimeout(3_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /get-online-features HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  + "Content-Length: 1000000000\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();

      GatewayClient.RawResponse response = GatewayClient.readResponse(socket.getInputStream());

      assertThat(response.statusCode()).isEqualTo(413);
      assertThat(response.headers()).containsEntry("connection", "close");
      assertThat(response.json().get("value").asText()).isEqualTo("1000000000");
    }
  }

  @Test
  void expect_continue_within_the_limit_gets_100_then_the_answer() throws IOException {
    byte[] body = request(1, 1).getBytes(StandardCharsets.UTF_8);
    try (Socket socket = new Socket("127.0.0.1", client.port())) {
      socket.setSoTimeout(3_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      out.write(
          ("POST /get-online-features HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  + "Content-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String interim = new String(in.readNBytes(25), StandardCharsets.US_ASCII);
      out.write(body);
      out.flush();

      assertThat(interim).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
      assertThat(GatewayClient.readResponse(in).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void a_body_that_does_not_arrive_in_time_is_408_and_the_connection_closed() throws IOException {
    try (Socket socket = new Socket("127.0.0.1", client.port())) {
      socket.setSoTimeout(3_000);
      socket
          .getOutputStream()
          .write(
              "POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"fea"
                  .getBytes(StandardCharsets.US_ASCII));

      GatewayClient.RawResponse response = GatewayClient.readResponse(socket.getInputStream());

      assertThat(response.statusCode()).isEqualTo(408);
      assertThat(response.json().get("error").asText()).isEqualTo("request_timeout");
      assertThat(response.json().get("message").asText())
          .isEqualTo(
              "the request body did not arrive within 200 ms (5 bytes received; send the whole body"
                  + " at once)");
      assertThat(socket.getInputStream().read()).as("connection closed").isEqualTo(-1);
    }
    assertThat(fixture.commandsSince(mark)).isEmpty();
  }

  @Test
  void a_compressed_body_is_415() {
    HttpResponse<String> response =
        client.post("/get-online-features", request(1, 1), "Content-Encoding", "gzip");

    assertThat(response.statusCode()).isEqualTo(415);
    assertThat(json(response).get("field").asText()).isEqualTo("Content-Encoding");
    assertThat(json(response).get("value").asText()).isEqualTo("gzip");
  }

  /** A request for the first {@code features} features of user_activity and {@code n} users. */
  private static String request(int features, int n) {
    String refs =
        IntStream.range(0, features)
            .mapToObj(i -> "\"user_activity:" + ActivityRows.FEATURES[i] + "\"")
            .collect(Collectors.joining(", "));
    String users =
        IntStream.range(0, n).mapToObj(i -> "\"u" + i + "\"").collect(Collectors.joining(", "));
    return "{\"features\": [" + refs + "], \"entities\": {\"user_id\": [" + users + "]}}";
  }

  private static byte[] padded(int size) {
    String head =
        "{\"features\": [\"user_activity:event_count_1h\"], \"entities\": {\"user_id\": [\"";
    String tail = "\"]}}";
    return (head + "x".repeat(size - head.length() - tail.length()) + tail)
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] post(byte[] body, String headers) {
    byte[] head =
        ("POST /get-online-features HTTP/1.1\r\nHost: x\r\n"
                + headers
                + "Content-Length: "
                + body.length
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[head.length + body.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(body, 0, all, head.length, body.length);
    return all;
  }
}
