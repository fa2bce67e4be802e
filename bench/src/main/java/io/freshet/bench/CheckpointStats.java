package io.freshet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobID;

/**
 * The checkpoints of a running job, from the MiniCluster's REST API: per completed checkpoint its
 * end-to-end duration and, over the job's vertices, the largest synchronous part, asynchronous
 * part, barrier alignment and start delay (barrier travel to the slowest subtask), and which vertex
 * acknowledged last. Reported as percentiles over the checkpoints, with how many took longer than
 * the interval. The REST history keeps the newest {@code web.checkpoints.history} checkpoints
 * ({@link E2eStores#flink} sets 1000).
 */
final class CheckpointStats {
  private CheckpointStats() {}

  static Map<String, Object> of(int restPort, JobID job, long intervalMillis) {
    Map<String, Object> m = new LinkedHashMap<>();
    HttpClient http = HttpClient.newHttpClient();
    ObjectMapper json = new ObjectMapper();
    String base = "http://127.0.0.1:" + restPort + "/jobs/" + job;
    try {
      Map<String, String> names = new HashMap<>();
      for (JsonNode v : get(http, json, base).path("vertices")) {
        names.put(v.path("id").asText(), v.path("name").asText());
      }
      JsonNode root = get(http, json, base + "/checkpoints");
      m.put("completed", root.path("counts").path("completed").asLong());
      m.put("failed", root.path("counts").path("failed").asLong());
      List<Double> e2e = new ArrayList<>();
      List<Double> sync = new ArrayList<>();
      List<Double> async = new ArrayList<>();
      List<Double> align = new ArrayList<>();
      List<Double> delay = new ArrayList<>();
      Map<String, Integer> lastVertex = new LinkedHashMap<>();
      Map<String, Integer> failures = new LinkedHashMap<>();
      int over = 0;
      int skipped = 0;
      int unaligned = 0;
      for (JsonNode cp : root.path("history")) {
        if ("FAILED".equals(cp.path("status").asText())) {
          failures.merge(cp.path("failure_message").asText("(no message)"), 1, Integer::sum);
        }
        if (!"COMPLETED".equals(cp.path("status").asText())) {
          continue;
        }
        long id = cp.path("id").asLong();
        double d = cp.path("end_to_end_duration").asDouble();
        e2e.add(d);
        if (d > intervalMillis) {
          over++;
        }
        if (cp.path("is_unaligned").asBoolean()) {
          unaligned++;
        }
        double s = 0;
        double a = 0;
        double al = 0;
        double de = 0;
        double worst = -1;
        String worstVertex = "";
        JsonNode details;
        try {
          details = get(http, json, base + "/checkpoints/details/" + id);
        } catch (IllegalStateException gone) {
          // fell out of the REST history while the job kept checkpointing
          skipped++;
          continue;
        }
        var it = details.path("tasks").fieldNames();
        while (it.hasNext()) {
          String vid = it.next();
          JsonNode sum =
              get(http, json, base + "/checkpoints/details/" + id + "/subtasks/" + vid)
                  .path("summary");
          s = Math.max(s, sum.path("checkpoint_duration").path("sync").path("max").asDouble());
          a = Math.max(a, sum.path("checkpoint_duration").path("async").path("max").asDouble());
          al = Math.max(al, sum.path("alignment").path("duration").path("max").asDouble());
          de = Math.max(de, sum.path("start_delay").path("max").asDouble());
          double ve = sum.path("end_to_end_duration").path("max").asDouble();
          if (ve > worst) {
            worst = ve;
            worstVertex = names.getOrDefault(vid, vid);
          }
        }
        sync.add(s);
        async.add(a);
        align.add(al);
        delay.add(de);
        lastVertex.merge(worstVertex, 1, Integer::sum);
      }
      m.put("measured", e2e.size());
      m.put("skippedOutOfHistory", skipped);
      m.put("longerThanInterval", over);
      m.put("unaligned", unaligned);
      m.put("endToEndMillis", FreshnessBench.percentiles(e2e));
      m.put("syncMillis", FreshnessBench.percentiles(sync));
      m.put("asyncMillis", FreshnessBench.percentiles(async));
      m.put("alignmentMillis", FreshnessBench.percentiles(align));
      m.put("startDelayMillis", FreshnessBench.percentiles(delay));
      m.put("slowestVertex", lastVertex);
      m.put("failures", failures);
      m.put(
          "note",
          "per checkpoint: end-to-end duration; sync/async/alignment/start delay are the largest"
              + " over the job's vertices (max over subtasks)");
    } catch (Exception e) {
      m.put("error", e.toString());
    }
    return m;
  }

  /**
   * The completed checkpoints in the job's history as {@code {id, trigger, latestAck}} (epoch
   * milliseconds), ordered by their last acknowledgement; empty when the history cannot be read.
   */
  static List<long[]> completedTimes(int restPort, JobID job) {
    List<long[]> out = new ArrayList<>();
    try {
      JsonNode root =
          get(
              HttpClient.newHttpClient(),
              new ObjectMapper(),
              "http://127.0.0.1:" + restPort + "/jobs/" + job + "/checkpoints");
      for (JsonNode cp : root.path("history")) {
        if ("COMPLETED".equals(cp.path("status").asText())) {
          out.add(
              new long[] {
                cp.path("id").asLong(),
                cp.path("trigger_timestamp").asLong(),
                cp.path("latest_ack_timestamp").asLong()
              });
        }
      }
    } catch (Exception e) {
      System.err.println("checkpoint history unreadable: " + e);
    }
    out.sort((a, b) -> Long.compare(a[2], b[2]));
    return out;
  }

  private static JsonNode get(HttpClient http, ObjectMapper json, String url) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET " + url + " answered " + r.statusCode());
    }
    return json.readTree(r.body());
  }
}
