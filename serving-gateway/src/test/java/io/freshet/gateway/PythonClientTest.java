package io.freshet.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.gateway.auth.BearerTokens;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestKafka;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python client ({@code clients/python}) against a running gateway: its own test suite, run
 * with {@code python3 -m unittest}, looks up rows this test wrote to the online table, pushes
 * events to a real broker and meets the gateway's errors. The rows and the names the suite checks
 * against travel in a fixture file; the suite fails if it cannot read it.
 */
class PythonClientTest {
  private static final String TOKEN = "python-client-token-0123456789";
  private static final Path CLIENT =
      Path.of("..", "clients", "python").toAbsolutePath().normalize();

  private static GatewayFixture fixture;
  private static final List<FeatureRow> rows = new ArrayList<>();
  private static String topic;

  @TempDir static Path dir;

  @BeforeAll
  static void start() throws IOException {
    // the example view's topic, which push produces to
    topic = "user-events";
    TestKafka.createTopic(topic, 1);
    fixture =
        new GatewayFixture(
            config ->
                config
                    .withKafka(TestKafka.bootstrapServers())
                    .withTokens(BearerTokens.of(List.of(TOKEN)))
                    .withFeatureServices(
                        FeatureServiceResolver.of(
                            Map.of(
                                "conversion_model",
                                List.of(
                                    "user_activity:event_count_1h",
                                    "user_activity:conversion_rate_1h",
                                    "user_activity:last_platform")))));
    ViewPlan plan = fixture.gateway.catalog().orElseThrow().plan("user_activity");
    long end = GatewayFixture.recentWindowEnd();
    rows.add(ActivityRows.of("user_1", end, 12, 3, 59.97));
    rows.add(ActivityRows.of("user_2", end, 5, 0, 0));
    rows.add(ActivityRows.of("caf\u00e9/\u00fcser \uD83D\uDD25", end, 7, 1, 0.1 + 0.2));
    for (FeatureRow row : rows) {
      fixture.table.write(plan, row);
    }
  }

  @AfterAll
  static void stop() throws IOException {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void the_python_clients_suite_passes_against_the_gateway() throws Exception {
    Path fixtureFile = dir.resolve("fixture.json");
    Files.writeString(fixtureFile, fixtureJson(), StandardCharsets.UTF_8);
    Path log = dir.resolve("unittest.log");
    ProcessBuilder pb =
        new ProcessBuilder("python3", "-m", "unittest", "discover", "-s", "tests", "-t", ".", "-v")
            .directory(CLIENT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("FRESHET_TEST_FIXTURE", fixtureFile.toString());
    pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new AssertionError(
          "python3 is needed to test the Python client (install Python 3.8 or newer): "
              + e.getMessage(),
          e);
    }
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("the Python suite did not end:\n" + Files.readString(log));
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    Matcher ran = Pattern.compile("Ran (\\d+) tests?").matcher(out);
    assertThat(ran.find()).as(out).isTrue();
    // every test of the suite ran: none skipped for want of the gateway
    assertThat(Integer.parseInt(ran.group(1))).as(out).isGreaterThanOrEqualTo(13);
    assertThat(out).as(out).doesNotContain("skipped");
    // Feast's remote online store's requests and reading, restated in test_feast_remote_store.py
    assertThat(out).as(out).contains("test_feast_remote_store.FeastRemoteOnlineStoreTest");
  }

  @Test
  void the_python_quickstart_example_runs_end_to_end() throws Exception {
    Path log = dir.resolve("quickstart.log");
    Path root = CLIENT.getParent().getParent();
    ProcessBuilder pb =
        new ProcessBuilder("python3", "examples/python/quickstart.py")
            .directory(root.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("PYTHONPATH", CLIENT.toString());
    pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    pb.environment().put("FRESHET_URL", "http://127.0.0.1:" + fixture.gateway.port());
    pb.environment().put("FRESHET_TOKEN", TOKEN);
    pb.environment().put("FRESHET_USERS", "user_1,user_2,user_never_seen");
    Process p = pb.start();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("the quickstart did not end:\n" + Files.readString(log));
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    List<String> lines = out.lines().map(String::strip).toList();
    assertThat(lines.get(0).split("\\s+"))
        .containsExactly("user_id", "event_count_1h", "conversion_rate_1h", "last_platform");
    // the rows as written: user_1 12 events, 3 purchases; user_2 5 and none; one not found
    assertThat(lines.get(1).split("\\s+")).containsExactly("user_1", "12", "0.25", "web");
    assertThat(lines.get(2).split("\\s+")).containsExactly("user_2", "5", "0.0", "web");
    assertThat(lines.get(3).split("\\s+")).containsExactly("user_never_seen", "-", "-", "-");
    assertThat(out)
        .contains("pushed: 1 accepted, rejected: [(1, \"missing entity key field 'user_id'");
  }

  private static String fixtureJson() {
    ObjectNode root = GatewayClient.MAPPER.createObjectNode();
    root.put("url", "http://127.0.0.1:" + fixture.gateway.port());
    root.put("token", TOKEN);
    root.put("view", "user_activity");
    root.put("service", "conversion_model");
    root.put("push_view", "user_activity");
    root.put("push_topic", topic);
    ObjectNode expected = root.putObject("rows");
    for (FeatureRow row : rows) {
      ObjectNode values = expected.putObject(row.entityKey());
      for (int i = 0; i < ActivityRows.FEATURES.length; i++) {
        Object v = row.values()[i];
        if (v == null) {
          values.putNull(ActivityRows.FEATURES[i]);
        } else if (v instanceof Long l) {
          values.put(ActivityRows.FEATURES[i], l);
        } else if (v instanceof Double d) {
          values.put(ActivityRows.FEATURES[i], d);
        } else {
          values.put(ActivityRows.FEATURES[i], v.toString());
        }
      }
      values.put("feature_ts", Instant.ofEpochMilli(row.featureTs()).toString());
    }
    ArrayNode missing = root.putArray("missing");
    missing.add("user_never_seen");
    return root.toString();
  }
}
