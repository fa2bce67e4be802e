package io.freshet.gateway.console;

import io.freshet.plan.ViewPlan;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the console shows beyond the gateway's own catalog and meters: how fresh a view's stored
 * rows are, which events its jobs rejected, and the state of the Flink jobs. Postgres and Flink are
 * read by implementations that live with them (the gateway reads neither); {@link #none()} has
 * neither.
 *
 * <p>Every method may block (a query, an HTTP call): the gateway calls them on worker threads,
 * never on an event loop, and gives up after its own timeout. A method throws {@link
 * ConsoleUnavailableException} when its source is not configured, saying what to configure; any
 * other exception is a failure of a configured source. The console shows both as "unavailable" with
 * the message. Implementations must be thread-safe.
 */
public interface ConsoleSource {

  /**
   * How fresh the view's stored rows are.
   *
   * @throws ConsoleUnavailableException when no offline store is configured
   */
  Freshness freshness(ViewPlan plan) throws Exception;

  /**
   * The events the view's jobs rejected: counts by kind and reason, and the newest few.
   *
   * @param sampleLimit how many of the newest events to return, at most
   * @throws ConsoleUnavailableException when no offline store is configured
   */
  Rejections rejected(String viewName, int sampleLimit) throws Exception;

  /**
   * The jobs of the Flink cluster, running or ended.
   *
   * @throws ConsoleUnavailableException when no Flink cluster is configured
   */
  List<Job> jobs() throws Exception;

  /** The Flink cluster's REST URL, for a link to its web UI; empty when none is configured. */
  default Optional<String> flinkRestUrl() {
    return Optional.empty();
  }

  /**
   * The newest data of a view version in the offline store.
   *
   * @param table the offline table read, schema-qualified
   * @param newestFeatureTs the newest window end (or tile end, or table timestamp) stored; null
   *     when nothing is stored or it could not be found cheaply (then {@code note} says why)
   * @param newestCommitAt when rows were last committed; null when never
   * @param rowsInNewestCommit the rows that commit held; null when unknown
   * @param note what to know about these figures, or null
   */
  record Freshness(
      String table,
      Instant newestFeatureTs,
      Instant newestCommitAt,
      Long rowsInNewestCommit,
      String note) {}

  /**
   * Rejected events of one view.
   *
   * @param total every rejected event of the view
   * @param byReason counts by kind and reason, greatest first
   * @param samples the newest events, newest first
   */
  record Rejections(long total, List<ReasonCount> byReason, List<Sample> samples) {
    public Rejections {
      byReason = List.copyOf(byReason);
      samples = List.copyOf(samples);
    }
  }

  /** How many events were rejected for one kind ({@code malformed}, {@code late}...) and reason. */
  record ReasonCount(String kind, String reason, long count) {}

  /**
   * One rejected event.
   *
   * @param origin {@code topic/partition@offset}, or {@code unknown}
   * @param payload the record as received, or null
   * @param eventTs its event time, when it could be read, else null
   */
  record Sample(
      String kind,
      String reason,
      String origin,
      String payload,
      Instant eventTs,
      Instant receivedAt) {}

  /**
   * One Flink job.
   *
   * @param views the feature views the job computes (empty for a job that is not a streaming job of
   *     Freshet's, e.g. a backfill)
   */
  record Job(String id, String name, String state, Instant startTime, Set<String> views) {
    public Job {
      views = Set.copyOf(views);
    }
  }

  /** Neither an offline store nor a Flink cluster: every part of the console says so. */
  static ConsoleSource none() {
    return NoConsoleSource.INSTANCE;
  }
}
