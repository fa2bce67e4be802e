package io.freshet.training;

import io.freshet.plan.FeaturePart;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plans and runs the as-of join of a build: cuts each view's entities into slices and reads each
 * slice on a connection of its own, with up to {@code parallelism} at once.
 */
final class JoinPlan {
  private final String jdbcUrl;
  private final int parallelism;
  private final int minEntitiesPerSlice;
  private final TrainingSetProgress progress;

  JoinPlan(String jdbcUrl, int parallelism, int minEntitiesPerSlice, TrainingSetProgress progress) {
    this.jdbcUrl = jdbcUrl;
    this.parallelism = parallelism;
    this.minEntitiesPerSlice = minEntitiesPerSlice;
    this.progress = progress;
  }

  /**
   * Joins every view: per view, the labels are grouped by entity (each group in time order), the
   * groups are cut, in bytewise key order, into slices of consecutive entities, and each slice is
   * read on its own connection, from its own part of the primary key: a window-end view's rows by
   * {@link ViewReader} (then, in an as-served set, the rows the online table served by {@link
   * ServedReader}), a request-time view's tile versions by {@link TileReader}.
   *
   * @param firstServed per view, the first instant (epoch µs) the view version was served, {@link
   *     Long#MAX_VALUE} if never (or, for a window-end view, if the set is not as-served)
   * @param beforeFirstServed per view, filled in an as-served set with the number of labels with an
   *     entity in the view that lie before its first served instant
   */
  String[][][] join(
      Work w,
      List<List<FeaturePart>> parts,
      long asOf,
      long[] firstServed,
      long[] beforeFirstServed) {
    Labels labels = w.labels();
    int[] byTime = LabelIndex.byTime(labels.timeMicros);
    String[][][] picked = new String[w.views().size()][][];
    ExecutorService pool = Executors.newFixedThreadPool(parallelism, new Threads());
    try {
      List<Future<?>> tasks = new ArrayList<>();
      List<String> what = new ArrayList<>();
      for (int v = 0; v < w.views().size(); v++) {
        ViewUse view = w.views().get(v);
        picked[v] = new String[labels.size()][];
        Map<String, AsOfJoin.Group> groups = LabelIndex.groups(labels, view.keyColumns(), byTime);
        boolean requestTime = view.plan().requestTime();
        boolean asServed = w.semantics() == TrainingSemantics.AS_SERVED;
        if (asServed) {
          for (AsOfJoin.Group g : groups.values()) {
            for (int label : g.labels) {
              if (labels.timeMicros[label] < firstServed[v]) {
                beforeFirstServed[v]++;
              }
            }
          }
        }
        int slices = Math.max(1, Math.min(parallelism, groups.size() / minEntitiesPerSlice));
        List<String> keys = new ArrayList<>(groups.keySet());
        keys.sort(ViewReader::compareBytewise);
        List<Map<String, AsOfJoin.Group>> sliced = new ArrayList<>();
        List<ViewReader.Range> ranges = new ArrayList<>();
        for (int i = 0; i < slices; i++) {
          int from = (int) ((long) keys.size() * i / slices);
          int to = (int) ((long) keys.size() * (i + 1) / slices);
          Map<String, AsOfJoin.Group> slice = new HashMap<>(Math.max(16, (to - from) * 4 / 3 + 1));
          for (String k : keys.subList(from, to)) {
            slice.put(k, groups.get(k));
          }
          sliced.add(slice);
          ranges.add(from < to ? new ViewReader.Range(keys.get(from), keys.get(to - 1)) : null);
        }
        ViewReader.Job job =
            requestTime
                ? null
                : new ViewReader.Job(
                    view.table(),
                    parts.get(v),
                    LabelTime.ceilMicros(view.delay()),
                    LabelTime.ceilMicros(view.ttl()));
        ServedReader.Job served =
            !requestTime && asServed
                ? new ServedReader.Job(
                    view.table(), parts.get(v), LabelTime.ceilMicros(view.ttl()), firstServed[v])
                : null;
        TileReader.Job tiles =
            requestTime
                ? new TileReader.Job(view.plan(), parts.get(v), asServed, firstServed[v])
                : null;
        String[][] out = picked[v];
        for (int i = 0; i < slices; i++) {
          Map<String, AsOfJoin.Group> slice = sliced.get(i);
          ViewReader.Range range = ranges.get(i);
          if (slice.isEmpty()) {
            continue;
          }
          long sliceLabels = 0;
          for (AsOfJoin.Group g : slice.values()) {
            sliceLabels += g.labels.length;
          }
          long labelsInSlice = sliceLabels;
          tasks.add(
              pool.submit(
                  () -> {
                    // counted entity by entity as rows stream in; the entities without any are
                    // counted when the slice is done
                    long[] counted = new long[1];
                    java.util.function.LongConsumer joined =
                        n -> {
                          counted[0] += n;
                          progress.joined(n);
                        };
                    if (tiles != null) {
                      TileReader.read(
                          jdbcUrl, tiles, asOf, range, slice, labels.timeMicros, out, joined);
                    } else {
                      ViewReader.read(
                          jdbcUrl, job, asOf, range, slice, labels.timeMicros, out, joined);
                      if (served != null) {
                        ServedReader.read(
                            jdbcUrl, served, asOf, range, slice, labels.timeMicros, out);
                      }
                    }
                    progress.joined(labelsInSlice - counted[0]);
                    return null;
                  }));
          what.add("view " + view.plan().name() + " from " + view.tableName());
        }
      }
      for (int i = 0; i < tasks.size(); i++) {
        try {
          tasks.get(i).get();
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          throw new TrainingSetException(
              "reading " + what.get(i) + " failed: " + cause.getMessage(), cause);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrainingSetException("interrupted while reading the offline tables", e);
    } finally {
      pool.shutdownNow();
    }
    return picked;
  }

  /** Daemon threads: a pool left behind by a failure never keeps the JVM alive. */
  private static final class Threads implements ThreadFactory {
    private static final AtomicInteger COUNT = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, "freshet-training-" + COUNT.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  }
}
