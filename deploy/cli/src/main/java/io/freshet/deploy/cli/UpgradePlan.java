package io.freshet.deploy.cli;

import io.freshet.deploy.flink.FlinkRestClient;
import io.freshet.deploy.flink.JobDetails;
import io.freshet.deploy.flink.JobSummary;
import io.freshet.deploy.stack.StackException;
import io.freshet.flink.job.JobContract;
import io.freshet.plan.ViewPlan;
import io.freshet.registry.RegisteredView;
import io.freshet.registry.Registry;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code freshet submit} settles about the jobs already running before it stops or starts
 * anything: the job that runs these views (the one {@code --upgrade} replaces, which must exist,
 * and without it none may), the view versions that job runs, and the views whose meaning changed.
 *
 * @param previous the job to replace, or null when nothing is replaced
 * @param runningTags for each view of {@code previous}, the version tag it runs
 * @param changed the views whose meaning changed since {@code previous} started them, described
 */
record UpgradePlan(JobSummary previous, Map<String, String> runningTags, List<String> changed) {

  /**
   * Plans the submission of {@code plans}: with {@code upgrade}, the replacement of the job that
   * runs them.
   *
   * @throws StackException when a job already runs them without {@code upgrade}, or {@code upgrade}
   *     finds no such job, several, one that runs other views too, or one not running
   */
  static UpgradePlan of(
      FlinkRestClient rest, Registry registry, List<ViewPlan> plans, boolean upgrade) {
    JobSummary previous = findRunningJob(rest.jobs(), plans, upgrade);
    Map<String, String> runningTags = previous == null ? Map.of() : runningVersions(rest, previous);
    return new UpgradePlan(previous, runningTags, changedMeanings(registry, runningTags, plans));
  }

  /**
   * The active Freshet job that runs any of these views: with {@code --upgrade}, the one to replace
   * (required); without, none may exist, since two jobs would write the same tables.
   */
  static JobSummary findRunningJob(List<JobSummary> jobs, List<ViewPlan> plans, boolean upgrade) {
    Set<String> wanted = new LinkedHashSet<>(plans.stream().map(ViewPlan::name).toList());
    List<JobSummary> overlapping = new ArrayList<>();
    List<String> others = new ArrayList<>();
    for (JobSummary j : jobs) {
      Set<String> jobViews = JobContract.viewsOfJob(j.name());
      if (!j.isActive() || jobViews.isEmpty()) {
        continue;
      }
      if (jobViews.stream().anyMatch(wanted::contains)) {
        overlapping.add(j);
      } else {
        others.add(j.id() + " \"" + j.name() + "\"");
      }
    }
    if (!upgrade) {
      if (!overlapping.isEmpty()) {
        JobSummary j = overlapping.get(0);
        throw new StackException(
            "job "
                + j.id()
                + " \""
                + j.name()
                + "\" ("
                + j.state()
                + ") already runs "
                + String.join(", ", intersection(JobContract.viewsOfJob(j.name()), wanted))
                + "; two jobs must not write one view: replace it with --upgrade, or stop it"
                + " first");
      }
      return null;
    }
    if (overlapping.isEmpty()) {
      throw new StackException(
          "--upgrade: no running job runs "
              + String.join(", ", wanted)
              + " on this cluster"
              + (others.isEmpty() ? "" : " (other Freshet jobs: " + String.join(", ", others) + ")")
              + "; submit without --upgrade to start one");
    }
    if (overlapping.size() > 1) {
      throw new StackException(
          "--upgrade: several running jobs run these views ("
              + String.join(
                  ", ", overlapping.stream().map(j -> j.id() + " \"" + j.name() + "\"").toList())
              + "); upgrade one at a time, with --views naming all of that job's views");
    }
    JobSummary j = overlapping.get(0);
    Set<String> dropped = new LinkedHashSet<>(JobContract.viewsOfJob(j.name()));
    dropped.removeAll(wanted);
    if (!dropped.isEmpty()) {
      throw new StackException(
          "--upgrade: job "
              + j.id()
              + " \""
              + j.name()
              + "\" also runs "
              + String.join(", ", dropped)
              + ", which --views leaves out: its state would be lost. Name every view of that"
              + " job in --views (views may be added, not removed)");
    }
    if (!"RUNNING".equals(j.state())) {
      throw new StackException(
          "--upgrade: job "
              + j.id()
              + " \""
              + j.name()
              + "\" is "
              + j.state()
              + ", and only a RUNNING job can take a savepoint; wait until it runs, or cancel it"
              + " and start from its latest retained checkpoint with --savepoint");
    }
    return j;
  }

  /**
   * For each view the running job runs, its version tag there (read from its window operators'
   * names, {@code windows: <view>@<versionTag>}).
   */
  static Map<String, String> runningVersions(FlinkRestClient rest, JobSummary previous) {
    return versionsOf(rest.job(previous.id()).vertices());
  }

  /**
   * The view versions the vertices of a job run: a window-end view's window operator and a
   * request-time view's tile operator both carry {@code windows: <view>@<versionTag>} in their
   * names ({@link JobContract#windowsName}, {@link JobContract#tilesName}), whichever vertex Flink
   * chains them into; the sinks ({@code tiles: <view>}, {@code online: <view>}) name no version.
   */
  static Map<String, String> versionsOf(List<JobDetails.Vertex> vertices) {
    Map<String, String> runningTags = new LinkedHashMap<>();
    for (JobDetails.Vertex v : vertices) {
      runningTags.putAll(JobContract.windowVersions(v.name()));
    }
    return runningTags;
  }

  /**
   * The views whose meaning changed since the running job started them, described for a person.
   * Every operator uid of a view names its version, so a changed view's old state (windows, Kafka
   * offsets, pending commits) is simply not restored: the new version starts fresh and its history
   * comes from a backfill.
   */
  static List<String> changedMeanings(
      Registry registry, Map<String, String> runningTags, List<ViewPlan> plans) {
    List<String> changed = new ArrayList<>();
    for (ViewPlan p : plans) {
      String running = runningTags.get(p.name());
      if (running != null && !running.equals(p.versionTag())) {
        changed.add(
            p.name()
                + " runs as "
                + versionName(registry, p.name(), running)
                + ", these definitions are "
                + versionName(registry, p.name(), p.versionTag()));
      }
    }
    return changed;
  }

  private static String versionName(Registry registry, String view, String tag) {
    try {
      for (RegisteredView r : registry.versions(view)) {
        if (r.versionTag().equals(tag)) {
          return "version "
              + r.version()
              + " (tag "
              + tag
              + ", served at "
              + OfflineTableChecks.serving(r.plan())
              + ")";
        }
      }
    } catch (RuntimeException e) {
      // the tag alone still says which version
    }
    return "tag " + tag;
  }

  /** Says what the upgrade carried over and what starts empty. */
  void describe(PrintWriter out, List<ViewPlan> plans) {
    Set<String> before = JobContract.viewsOfJob(previous.name());
    List<String> kept = new ArrayList<>();
    List<String> keptTiles = new ArrayList<>();
    List<String> added = new ArrayList<>();
    for (ViewPlan p : plans) {
      String running = runningTags.get(p.name());
      if (running != null && !running.equals(p.versionTag())) {
        continue;
      }
      String named = p.name() + " (version " + p.versionTag() + ")";
      if (!before.contains(p.name())) {
        added.add(named);
      } else {
        (p.requestTime() ? keptTiles : kept).add(named);
      }
    }
    out.println();
    out.printf(
        "Upgraded: job %s was stopped with a savepoint and the new job resumed from it.%n",
        previous.id());
    if (!kept.isEmpty()) {
      out.printf(
          "  %s: same meaning, window state and Kafka offsets carried over%n",
          String.join(", ", kept));
    }
    if (!keptTiles.isEmpty()) {
      out.printf(
          "  %s: same meaning, tile state (the open tiles and their versions) and Kafka offsets"
              + " carried over%n",
          String.join(", ", keptTiles));
    }
    if (!added.isEmpty()) {
      out.printf(
          "  %s: new in this job, starts with empty windows (or tiles)%n",
          String.join(", ", added));
    }
    if (runningTags.isEmpty()) {
      out.println(
          "  (the previous job's operators did not name their view versions, so a change of"
              + " meaning could not be checked)");
    }
  }

  private static List<String> intersection(Set<String> a, Set<String> b) {
    return a.stream().filter(b::contains).toList();
  }
}
