package io.freshet.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A plain JDK HTTP client for the gateway under test; every request is bounded, none may hang. */
final class GatewayClient {
  /** Far above any answer the gateway should need; a request that reaches it has hung. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);

  static final ObjectMapper MAPPER = new ObjectMapper();

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(REQUEST_TIMEOUT)
          .build();
  private final int port;

  GatewayClient(int port) {
    this.port = port;
  }

  int port() {
    return port;
  }

  HttpResponse<String> get(String rawPath, String... headers) {
    return send("GET", rawPath, HttpRequest.BodyPublishers.noBody(), headers);
  }

  HttpResponse<String> send(String method, String rawPath) {
    return send(method, rawPath, HttpRequest.BodyPublishers.noBody());
  }

  /** POSTs a JSON body; {@code headers} are name, value pairs. */
  HttpResponse<String> post(String rawPath, String json, String... headers) {
    return send(
        "POST",
        rawPath,
        HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8),
        headers);
  }

  HttpResponse<String> send(
      String method, String rawPath, HttpRequest.BodyPublisher body, String... headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + rawPath))
            .method(method, body)
            .timeout(REQUEST_TIMEOUT);
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError(method + " " + rawPath + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(method + " " + rawPath + " interrupted", e);
    }
  }

  /**
   * Sends {@code GET rawPath} byte for byte over a plain socket, as curl does with unescaped UTF-8
   * or a malformed escape that {@link java.net.URI} would refuse to build. Returns status and body.
   */
  RawResponse rawGet(String rawPath) {
    String request = "GET " + rawPath + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    return raw(request.getBytes(StandardCharsets.UTF_8));
  }

  /** Sends these exact bytes on a new connection and reads one response. */
  RawResponse raw(byte[] request) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout((int) REQUEST_TIMEOUT.toMillis());
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      return readResponse(socket.getInputStream());
    } catch (IOException e) {
      throw new AssertionError("raw request failed: " + e, e);
    }
  }

  /** Reads one HTTP/1.1 response with a Content-Length body (as the gateway always sends). */
  static RawResponse readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int last4 = 0;
    while (last4 != 0x0D0A0D0A) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed before the response head ended: " + head);
      }
      head.write(b);
      last4 = last4 << 8 | b;
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].substring(9, 12));
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(
            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
    }
    String length = headers.get("content-length");
    byte[] body;
    if (length != null) {
      body = in.readNBytes(Integer.parseInt(length));
    } else if (status == 100) {
      return readResponse(in);
    } else {
      body = in.readAllBytes();
    }
    return new RawResponse(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  record RawResponse(int statusCode, Map<String, String> headers, String body) {
    JsonNode json() {
      try {
        return MAPPER.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (" + statusCode + "): " + body, e);
      }
    }
  }

  static JsonNode json(HttpResponse<String> response) {
    try {
      return MAPPER.readTree(response.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON (" + response.statusCode() + "): " + response.body(), e);
    }
  }

  /** Percent-encodes every UTF-8 byte outside RFC 3986's unreserved set. */
  static String encodeSegment(String text) {
    StringBuilder sb = new StringBuilder();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xFF;
      if (c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~') {
        sb.append((char) c);
      } else {
        sb.append('%').append(String.format("%02X", c));
      }
    }
    return sb.toString();
  }
}
