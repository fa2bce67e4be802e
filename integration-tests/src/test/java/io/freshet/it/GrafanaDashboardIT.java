package io.freshet.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.examples.UserActivity;
import io.freshet.flink.compile.FeatureJobCompiler;
import io.freshet.flink.compile.JobSettings;
import io.freshet.gateway.GatewayConfig;
import io.freshet.gateway.GatewayServer;
import io.freshet.plan.Catalog;
import io.freshet.plan.ViewPlan;
import io.freshet.testing.TestKafka;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every metric the Grafana dashboard ({@code deploy/grafana/freshet-overview.json}) charts exists
 * under that name: the gateway's at its {@code /metrics}, the feature job's at Flink's Prometheus
 * reporter, with both example views (window-end and request-time) running on real Kafka, Postgres
 * and Redis. A panel over a renamed or missing metric would draw nothing; this test names it.
 */
class GrafanaDashboardIT {
  private static final Path DASHBOARD =
      Path.of("..", "deploy", "grafana", "freshet-overview.json").toAbsolutePath().normalize();
  private static final Pattern METRIC = Pattern.compile("\\b((?:freshet|flink)_[A-Za-z0-9_]+)");
  private static final String REPORTER_PORTS = "9250-9269";

  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setConfiguration(reporter())
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  private static Configuration reporter() {
    Configuration conf = new Configuration();
    conf.setString(
        "metrics.reporter.prom.factory.class",
        "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
    conf.setString("metrics.reporter.prom.port", REPORTER_PORTS);
    return conf;
  }

  @Test
  void every_metric_the_dashboard_charts_is_exposed_by_the_gateway_or_the_job() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
    Set<String> charted = new TreeSet<>();
    int panels = 0;
    for (JsonNode panel : dashboard.get("panels")) {
      for (JsonNode target : panel.path("targets")) {
        panels++;
        Matcher m = METRIC.matcher(target.get("expr").asText());
        while (m.find()) {
          charted.add(m.group(1));
        }
      }
    }
    assertThat(panels).isGreaterThanOrEqualTo(10);
    assertThat(charted).anyMatch(n -> n.startsWith("freshet_gateway_"));
    assertThat(charted).anyMatch(n -> n.startsWith("flink_"));

    String topic = "grafana-events-" + UUID.randomUUID();
    TestKafka.createTopic(topic, 1);
    KafkaJsonSource source =
        KafkaJsonSource.topic(topic)
            .keyedBy("user_id")
            .eventTimeField("event_ts")
            .withMaxOutOfOrderness(Duration.ofSeconds(10));
    FeatureView windowEnd =
        UserActivity.builder("user_activity", Duration.ofMinutes(15), Duration.ofSeconds(10))
            .source(source)
            .build();
    FeatureView requestTime =
        UserActivity.builder("user_activity_live", Duration.ofMinutes(1), Duration.ofSeconds(10))
            .source(source)
            .servedAtRequestTime()
            .build();
    List<ViewPlan> plans = List.of(ViewPlan.of(windowEnd), ViewPlan.of(requestTime));
    String pgUrl = TestPostgres.freshDatabase("grafana_dashboard");
    String redisUrl = TestRedis.uri(2);

    long now = System.currentTimeMillis();
    try (KafkaProducer<String, String> producer = TestKafka.producer()) {
      for (int i = 0; i < 200; i++) {
        String user = "user_" + (i % 7);
        producer.send(
            new ProducerRecord<>(
                topic,
                user,
                "{\"user_id\":\""
                    + user
                    + "\",\"event_ts\":"
                    + (now - 3_600_000L + i * 15_000L)
                    + ",\"event_type\":\"view\",\"session_id\":\"s1\"}"));
      }
      producer.send(new ProducerRecord<>(topic, "x", "not json"));
      producer.flush();
    }

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(1);
    env.enableCheckpointing(500, CheckpointingMode.EXACTLY_ONCE);
    FeatureJobCompiler.compile(
        env,
        plans,
        new JobSettings(
            TestKafka.bootstrapServers(),
            "grafana-" + UUID.randomUUID(),
            JobSettings.StartingOffsets.EARLIEST,
            pgUrl,
            redisUrl,
            500,
            5000,
            null));
    JobClient job = env.executeAsync("freshet grafana dashboard");
    try (GatewayServer gateway =
        GatewayServer.start(new GatewayConfig(0, redisUrl, Catalog.of(List.of(windowEnd))))) {
      HttpClient http = HttpClient.newHttpClient();
      String gatewayBase = "http://127.0.0.1:" + gateway.port();
      // Every meter the gateway registers lazily: a lookup that finds a row, and its answer.
      Set<String> missing = new TreeSet<>(charted);
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      String lastJobScrape = "";
      while (!missing.isEmpty() && System.nanoTime() < deadline) {
        get(http, gatewayBase + "/features/user_activity/user_1");
        String exposed =
            get(http, gatewayBase + "/metrics") + "\n" + (lastJobScrape = scrapeJob(http));
        missing.removeIf(name -> Pattern.compile("(?m)^" + name + "[{ ]").matcher(exposed).find());
        if (!missing.isEmpty()) {
          Thread.sleep(1000);
        }
      }
      assertThat(missing)
          .as(
              "metrics the dashboard charts that neither the gateway nor the job exposes"
                  + " (job scrape had %d lines)",
              lastJobScrape.lines().count())
          .isEmpty();
    } finally {
      job.cancel().get();
    }
  }

  /** Every Flink Prometheus reporter of the MiniCluster in the port range, concatenated. */
  private static String scrapeJob(HttpClient http) {
    String[] range = REPORTER_PORTS.split("-");
    StringBuilder all = new StringBuilder();
    for (int port = Integer.parseInt(range[0]); port <= Integer.parseInt(range[1]); port++) {
      try {
        all.append(get(http, "http://127.0.0.1:" + port + "/metrics")).append('\n');
      } catch (Exception e) {
        // nothing listens there
      }
    }
    return all.toString();
  }

  private static String get(HttpClient http, String url) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    return r.body();
  }
}
