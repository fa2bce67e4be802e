package io.freshet.flink.job;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The program arguments of the backfill job ({@link JobContract#BACKFILL_JOB_CLASS}), formatted by
 * {@code freshet backfill} and parsed by the job:
 *
 * <pre>
 * --views user_activity                    views to run (default: every bundled view)
 * --input events.jsonl                     JSON lines (a file or a directory), or
 * --kafka host:9092 --to 2026-11-23T00:00:00Z [--from ...]   a bounded range of each view's topic, or
 * --from-postgres events [--from ...] [--to ...]   a table or SELECT of events in the offline store's
 *                                          database, optionally an event-time range
 * --pg-url jdbc:postgresql://...           offline store (or FRESHET_PG_URL)
 * --online --redis-url redis://...         also write each entity's latest row online
 * --local-rest-file run/rest.url           run in a local Flink whose REST endpoint (on a free
 *                                          port) is written to this file, kept up after the job
 *                                          ends until the file is deleted (at most a minute)
 * </pre>
 *
 * @param views the views to run; empty for every view the job jar defines
 * @param input a file or folder of JSON lines, or null to read a Kafka range
 * @param kafka bootstrap servers of the Kafka range (with {@code to}), or null
 * @param from the first record time of the Kafka range, or the first event time of the Postgres
 *     events; null for no lower bound
 * @param to the record time the Kafka range ends at (exclusive), the event time the Postgres events
 *     end at, or null with {@code input}
 * @param pgUrl JDBC URL of the offline store, or null for {@code FRESHET_PG_URL}
 * @param online whether each entity's latest row is also written to the online store
 * @param redisUrl URI of the online store with {@code online}, or null for {@code
 *     FRESHET_REDIS_URL}
 * @param postgres a table or query of events in the {@code pgUrl} database, or null
 * @param localRestFile with a run in a local Flink, where to write the URL of its REST endpoint so
 *     that {@code freshet backfill} can read the job's metrics while it runs and once it ended;
 *     null for none (a local run then has no REST endpoint one can find, and on a cluster the
 *     cluster's own serves)
 */
public record BackfillJobArguments(
    List<String> views,
    String input,
    String kafka,
    Instant from,
    Instant to,
    String pgUrl,
    boolean online,
    String redisUrl,
    String postgres,
    String localRestFile) {
  static final String INPUT = "input";
  static final String LOCAL_REST_FILE = "local-rest-file";
  static final String POSTGRES = "from-postgres";
  static final String FROM = "from";
  static final String TO = "to";
  static final String ONLINE = "online";

  public BackfillJobArguments {
    views = views == null ? List.of() : List.copyOf(views);
  }

  /** Arguments reading a file or a Kafka range. */
  public BackfillJobArguments(
      List<String> views,
      String input,
      String kafka,
      Instant from,
      Instant to,
      String pgUrl,
      boolean online,
      String redisUrl) {
    this(views, input, kafka, from, to, pgUrl, online, redisUrl, null);
  }

  /** Arguments reading a file, a Kafka range or Postgres events, with no local REST endpoint. */
  public BackfillJobArguments(
      List<String> views,
      String input,
      String kafka,
      Instant from,
      Instant to,
      String pgUrl,
      boolean online,
      String redisUrl,
      String postgres) {
    this(views, input, kafka, from, to, pgUrl, online, redisUrl, postgres, null);
  }

  /** These arguments, the local run publishing its REST endpoint's URL in {@code file}. */
  public BackfillJobArguments withLocalRestFile(String file) {
    return new BackfillJobArguments(
        views, input, kafka, from, to, pgUrl, online, redisUrl, postgres, file);
  }

  /** The program arguments, leaving out what is null. */
  public List<String> format() {
    List<String> args = new ArrayList<>();
    if (!views.isEmpty()) {
      FeatureJobArguments.add(args, FeatureJobArguments.VIEWS, String.join(",", views));
    }
    FeatureJobArguments.add(args, INPUT, input);
    FeatureJobArguments.add(args, FeatureJobArguments.KAFKA, kafka);
    FeatureJobArguments.add(args, POSTGRES, postgres);
    FeatureJobArguments.add(args, FROM, from);
    FeatureJobArguments.add(args, TO, to);
    FeatureJobArguments.add(args, FeatureJobArguments.PG_URL, pgUrl);
    if (online) {
      args.add("--" + ONLINE);
    }
    FeatureJobArguments.add(args, FeatureJobArguments.REDIS_URL, redisUrl);
    FeatureJobArguments.add(args, LOCAL_REST_FILE, localRestFile);
    return args;
  }

  /**
   * Reads the arguments as the job receives them (keys without the dashes; {@code online} present
   * without a value), the stores falling back to {@code env}.
   */
  public static BackfillJobArguments parse(Map<String, String> params, Map<String, String> env) {
    String views = params.get(FeatureJobArguments.VIEWS);
    String pgUrl = params.getOrDefault(FeatureJobArguments.PG_URL, env.get("FRESHET_PG_URL"));
    if (pgUrl == null) {
      throw new IllegalArgumentException("missing --pg-url (or FRESHET_PG_URL)");
    }
    boolean online = params.containsKey(ONLINE);
    String redisUrl = null;
    if (online) {
      redisUrl = params.getOrDefault(FeatureJobArguments.REDIS_URL, env.get("FRESHET_REDIS_URL"));
      if (redisUrl == null) {
        throw new IllegalArgumentException("--online needs --redis-url (or FRESHET_REDIS_URL)");
      }
    }
    String input = null;
    String kafka = null;
    String postgres = null;
    Instant from = null;
    Instant to = null;
    if (params.containsKey(INPUT)) {
      input = params.get(INPUT);
    } else if (params.containsKey(POSTGRES)) {
      postgres = params.get(POSTGRES);
      from = params.containsKey(FROM) ? Instant.parse(params.get(FROM)) : null;
      to = params.containsKey(TO) ? Instant.parse(params.get(TO)) : null;
    } else if (params.containsKey(FeatureJobArguments.KAFKA) && params.containsKey(TO)) {
      kafka = params.get(FeatureJobArguments.KAFKA);
      from = params.containsKey(FROM) ? Instant.parse(params.get(FROM)) : null;
      to = Instant.parse(params.get(TO));
    } else {
      throw new IllegalArgumentException(
          "say where the history is: --input events.jsonl, --kafka host:9092 --to <instant>, or"
              + " --from-postgres <table or SELECT>");
    }
    return new BackfillJobArguments(
        views == null || views.isBlank()
            ? List.of()
            : Arrays.stream(views.split(",")).map(String::trim).toList(),
        input,
        kafka,
        from,
        to,
        pgUrl,
        online,
        redisUrl,
        postgres,
        params.get(LOCAL_REST_FILE));
  }
}
