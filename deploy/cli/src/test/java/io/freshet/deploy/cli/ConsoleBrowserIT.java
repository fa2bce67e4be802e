package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.freshet.deploy.stack.Ports;
import io.freshet.examples.ExampleDefinitions;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.Catalog;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console as a person meets it: {@code freshet demo} with the gateway's auth on, opened in
 * headless Chromium at the URL the demo prints. The page asks for the token and refuses a wrong
 * one; with the right one it lists the demo's views and services, shows a view's features, its
 * freshness, the job's state and the events its job rejected (three malformed ones this test sends
 * straight to the demo's topic with a Kafka producer), and looks rows up, printing a curl line that
 * gives the same answer when run. The figures on the page are checked against Postgres, read here
 * with SQL of the test's own. A screenshot of the page is saved in {@code
 * target/console/console.png}.
 */
class ConsoleBrowserIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofMinutes(3);
  private static final int REDIS_DB = 6;
  private static final Path SCREENSHOTS = Path.of("target", "console");

  @TempDir Path dir;

  @Test
  void a_person_finds_views_freshness_rejected_events_the_job_and_lookups() throws Exception {
    Chromium.ensureInstalled();
    String token = newToken();
    String pgUrl = TestPostgres.freshDatabase("console_browser");
    int gatewayPort = Ports.free();
    String gateway = "http://localhost:" + gatewayPort;
    Map<String, String> env =
        Map.of(
            "FRESHET_GATEWAY_TOKENS", token,
            "FRESHET_PG_URL", pgUrl,
            "FRESHET_REDIS_URL", TestRedis.uri(REDIS_DB));
    try (DemoProcess demo =
        DemoProcess.start(
            dir.resolve("demo.log"),
            env,
            "--port",
            Integer.toString(gatewayPort),
            "--flink-ui-port",
            Integer.toString(Ports.free()),
            "--checkpoint-interval",
            "2s")) {
      String bootstrap =
          demo.await(Pattern.compile("(?m)^  Kafka +(\\S+), topic"), Duration.ofMinutes(4));
      String user =
          demo.await(
              Pattern.compile("(?m)^  Features +curl \\S+/features/user_activity/(\\S+)$"), WAIT);
      String console = demo.await(Pattern.compile("(?m)(http://localhost:\\d+/console)\\b"), WAIT);
      assertThat(console).isEqualTo(gateway + "/console");
      assertThat(demo.output()).contains("Auth            on");
      List<String> sent = sendMalformedEvents(bootstrap);

      HttpClient http = HttpClient.newHttpClient();
      // The page is open; the data behind it is not.
      HttpResponse<String> page = get(http, console, null);
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
      assertThat(get(http, gateway + "/console/api/catalog", null).statusCode()).isEqualTo(401);
      assertThat(get(http, gateway + "/console/api/views/user_activity", null).statusCode())
          .isEqualTo(401);
      JsonNode catalog = JSON.readTree(get(http, gateway + "/console/api/catalog", token).body());

      ChromeDriver browser = Chromium.start(1440, 1000, dir.resolve("profile"));
      try {
        WebDriverWait wait = new WebDriverWait(browser, WAIT, Duration.ofMillis(250));
        browser.get(console);
        wait.until(d -> d.findElement(By.id("token-form")).isDisplayed());
        assertThat(text(browser, "status")).contains("asks for a bearer token");

        enterToken(browser, "not-the-token");
        wait.until(d -> text(browser, "status").contains("refused this token"));
        assertThat(browser.findElement(By.id("token-form")).isDisplayed()).isTrue();
        assertThat(browser.findElements(By.cssSelector("#views li[data-view]"))).isEmpty();

        enterToken(browser, token);
        wait.until(d -> !d.findElement(By.id("token-form")).isDisplayed());
        List<String> expectedViews = new ArrayList<>();
        catalog.get("views").forEach(v -> expectedViews.add(v.get("name").asText()));
        assertThat(expectedViews)
            .contains("user_activity", "user_activity_live", "user_lifetime", "user_profile");
        wait.until(
            d ->
                d.findElements(By.cssSelector("#views li[data-view]")).size()
                    == expectedViews.size());
        List<String> shownViews = new ArrayList<>();
        for (WebElement li : browser.findElements(By.cssSelector("#views li[data-view]"))) {
          shownViews.add(li.getAttribute("data-view"));
        }
        assertThat(shownViews).containsExactlyElementsOf(expectedViews);
        assertThat(text(browser, "services")).contains("checkout").contains("amount: FLOAT64");

        browser.findElement(By.cssSelector("#views li[data-view='user_activity']")).click();
        wait.until(d -> text(browser, "view-title").equals("user_activity"));
        Catalog definitions = Catalog.of(new ExampleDefinitions().views());
        List<String> features = new ArrayList<>();
        for (WebElement row :
            browser.findElements(By.cssSelector("#features-table tbody tr[data-feature]"))) {
          features.add(row.getAttribute("data-feature"));
        }
        assertThat(features)
            .containsExactlyInAnyOrderElementsOf(
                definitions.plan("user_activity").parts().stream().map(p -> p.name()).toList());
        assertThat(text(browser, "features-table")).contains("INT64").contains("FLOAT64");

        wait.until(d -> text(browser, "job-state").equals("job: RUNNING"));

        // Rejected events: the page's total is what Postgres holds for the view, ours among them.
        String table = OfflineTable.of(definitions.plan("user_activity")).qualifiedName();
        wait.until(d -> rejectedPayloads(pgUrl).containsAll(sent));
        wait.until(
            d -> text(browser, "rejected-total").equals(Long.toString(rejectedCount(pgUrl))));
        assertThat(Long.parseLong(text(browser, "rejected-total"))).isGreaterThanOrEqualTo(3);
        wait.until(d -> text(browser, "rejected-samples").contains("user_id"));
        assertThat(browser.findElements(By.cssSelector("#rejected-chart canvas"))).isNotEmpty();

        // Freshness: the newest window end the page names is the offline table's newest row
        // (written as 2026-12-03 10:05:00Z).
        wait.until(d -> !text(browser, "lag").equals("–"));
        wait.until(
            d -> {
              Instant newest = newestFeatureTs(pgUrl, table);
              return newest != null
                  && text(browser, "freshness").contains(newest.toString().replace('T', ' '));
            });

        // A view's row: the JSON answer and a curl line that gives the same answer when run.
        new Select(browser.findElement(By.id("lookup-target"))).selectByValue("view:user_activity");
        lookUp(browser, user);
        wait.until(d -> text(browser, "lookup-json").startsWith("HTTP 200"));
        JsonNode shown = jsonOf(text(browser, "lookup-json"));
        assertThat(shown.get("entity").asText()).isEqualTo(user);
        assertThat(fieldNames(shown.get("features"))).containsAll(features);
        String curl = text(browser, "lookup-curl");
        assertThat(curl)
            .startsWith("curl -s -H \"Authorization: Bearer $FRESHET_TOKEN\"")
            .contains(gateway + "/features/user_activity/" + user)
            .doesNotContain(token);
        JsonNode curled = JSON.readTree(runCurl(curl, token));
        assertThat(fieldNames(curled.get("features"))).isEqualTo(fieldNames(shown.get("features")));
        assertThat(curled.get("entity").asText()).isEqualTo(user);

        // Served rows now show in the staleness histogram.
        wait.until(d -> !text(browser, "staleness-summary").contains("none served yet"));
        assertThat(browser.findElements(By.cssSelector("#staleness-chart canvas"))).isNotEmpty();

        // A feature service with request data.
        new Select(browser.findElement(By.id("lookup-target"))).selectByValue("service:checkout");
        WebElement amount =
            wait.until(d -> d.findElement(By.cssSelector("#lookup-fields input[name='amount']")));
        amount.clear();
        amount.sendKeys("42.5");
        lookUp(browser, user);
        wait.until(d -> text(browser, "lookup-json").startsWith("HTTP 200"));
        JsonNode service = jsonOf(text(browser, "lookup-json"));
        List<String> names = new ArrayList<>();
        service.get("metadata").get("feature_names").forEach(n -> names.add(n.asText()));
        assertThat(names).contains("user_id", "amount_vs_avg_purchase", "seconds_since_last_event");
        assertThat(text(browser, "lookup-curl"))
            .contains("\"request_context\":{\"amount\":[42.5]}")
            .contains(gateway + "/get-online-features");

        // The request-time view for the picture; nothing on the page shows the token.
        browser.findElement(By.cssSelector("#views li[data-view='user_activity_live']")).click();
        wait.until(d -> text(browser, "view-title").equals("user_activity_live"));
        wait.until(d -> text(browser, "freshness").contains("newest window/tile end"));
        // its open tile ends in the future; the lag runs from the newest commit
        wait.until(d -> !text(browser, "lag").equals("–"));
        assertThat(text(browser, "lag")).doesNotStartWith("-");
        new Select(browser.findElement(By.id("lookup-target")))
            .selectByValue("view:user_activity_live");
        lookUp(browser, user);
        wait.until(d -> text(browser, "lookup-json").startsWith("HTTP 200"));
        assertThat(browser.getPageSource()).doesNotContain(token);
        wait.until(d -> !text(browser, "staleness-summary").contains("none served yet"));
        browser.manage().window().setSize(new Dimension(1440, 1500));
        ((JavascriptExecutor) browser).executeScript("window.scrollTo(0, 0)");
        wait.until(d -> text(browser, "lookup-json").startsWith("HTTP 200"));
        Files.createDirectories(SCREENSHOTS);
        Path screenshot = SCREENSHOTS.resolve("console.png");
        Files.write(screenshot, browser.getScreenshotAs(OutputType.BYTES));
        assertThat(Files.size(screenshot)).isGreaterThan(20_000);
      } finally {
        browser.quit();
      }
      assertThat(demo.stop(Duration.ofMinutes(3))).as(demo.output()).isTrue();
    }
  }

  /**
   * Three events the job must reject, sent to the demo's topic as a producer of the user's would.
   */
  private static List<String> sendMalformedEvents(String bootstrap) throws Exception {
    long now = System.currentTimeMillis();
    List<String> payloads =
        List.of(
            "{\"event_type\":\"view\",\"session_id\":\"s\",\"platform\":\"web\",\"event_ts\":"
                + now
                + "}",
            "console test: not JSON at all " + now,
            "{\"user_id\":\"console_probe\",\"event_type\":\"view\",\"session_id\":\"s\","
                + "\"platform\":\"web\",\"event_ts\":\"an hour ago "
                + now
                + "\"}");
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (String p : payloads) {
        producer
            .send(new ProducerRecord<>("user-events", p.getBytes(StandardCharsets.UTF_8)))
            .get();
      }
    }
    return payloads;
  }

  private static long rejectedCount(String pgUrl) {
    return query(
        pgUrl,
        "SELECT count(*) FROM freshet.rejected_events WHERE view_name = 'user_activity'",
        rs -> rs.next() ? rs.getLong(1) : 0L,
        0L);
  }

  private static List<String> rejectedPayloads(String pgUrl) {
    return query(
        pgUrl,
        "SELECT payload FROM freshet.rejected_events WHERE view_name = 'user_activity'",
        rs -> {
          List<String> out = new ArrayList<>();
          while (rs.next()) {
            out.add(rs.getString(1));
          }
          return out;
        },
        List.of());
  }

  private static Instant newestFeatureTs(String pgUrl, String table) {
    return query(
        pgUrl,
        "SELECT max(feature_ts) FROM " + table,
        rs -> {
          Timestamp t = rs.next() ? rs.getTimestamp(1) : null;
          return t == null ? null : t.toInstant();
        },
        null);
  }

  private interface Rows<T> {
    T read(ResultSet rs) throws SQLException;
  }

  /** A query of this test's own; {@code absent} while its table is not created yet. */
  private static <T> T query(String pgUrl, String sql, Rows<T> rows, T absent) {
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rows.read(rs);
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return absent;
      }
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  private static void enterToken(ChromeDriver browser, String token) {
    WebElement input = browser.findElement(By.id("token-input"));
    input.clear();
    input.sendKeys(token);
    browser.findElement(By.cssSelector("#token-form button[type='submit']")).click();
  }

  private static void lookUp(ChromeDriver browser, String entity) {
    WebElement input = browser.findElement(By.id("lookup-entity"));
    input.clear();
    input.sendKeys(entity);
    ((JavascriptExecutor) browser)
        .executeScript("document.getElementById('lookup-json').textContent = ''");
    browser.findElement(By.id("lookup-submit")).click();
  }

  private static String text(ChromeDriver browser, String id) {
    return browser.findElement(By.id(id)).getText().strip();
  }

  /** The JSON after the page's "HTTP 200" line. */
  private static JsonNode jsonOf(String shown) throws Exception {
    return JSON.readTree(shown.substring(shown.indexOf('\n') + 1));
  }

  private static TreeSet<String> fieldNames(JsonNode object) {
    TreeSet<String> names = new TreeSet<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** Runs the page's curl line in a shell, as a person pasting it would, with the token set. */
  private String runCurl(String line, String token) throws Exception {
    Path out = dir.resolve("curl.out");
    ProcessBuilder pb =
        new ProcessBuilder("bash", "-c", line)
            .redirectErrorStream(true)
            .redirectOutput(out.toFile());
    pb.environment().put("FRESHET_TOKEN", token);
    Process p = pb.start();
    assertThat(p.waitFor(1, TimeUnit.MINUTES)).as(line).isTrue();
    String body = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(line + "\n" + body).isZero();
    return body;
  }

  private static HttpResponse<String> get(HttpClient http, String url, String token)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String newToken() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
