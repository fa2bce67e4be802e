package io.freshet.deploy.progress;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Polls the progress of a command's tasks on a thread of its own and hands it to a {@link
 * ProgressRenderer}: each task in turn, a finished one once, with its final count. {@link #close()}
 * polls a last time, so the tasks that ended since are shown finished even when they ended between
 * two polls.
 */
public final class ProgressTicker implements AutoCloseable {
  private final ProgressRenderer renderer;
  private final Supplier<List<Progress>> source;
  private final Set<String> ended = new HashSet<>();
  private final Thread thread;
  private volatile boolean stopped;

  private ProgressTicker(
      ProgressRenderer renderer, Supplier<List<Progress>> source, Duration every) {
    this.renderer = renderer;
    this.source = source;
    this.thread = new Thread(() -> loop(every.toMillis()), "freshet-progress");
    thread.setDaemon(true);
  }

  /**
   * Starts polling {@code source} every {@code every}; the source returns the tasks seen so far, in
   * order, and may fail (a REST endpoint not up yet): that poll is skipped.
   */
  public static ProgressTicker start(
      ProgressRenderer renderer, Supplier<List<Progress>> source, Duration every) {
    ProgressTicker t = new ProgressTicker(renderer, source, every);
    if (renderer.style() != ProgressStyle.NONE) {
      t.thread.start();
    }
    return t;
  }

  /** Stops polling and shows the last state the source reports; open bars are ended. */
  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (renderer.style() != ProgressStyle.NONE) {
      poll();
    }
    synchronized (this) {
      renderer.abandon();
    }
  }

  private void loop(long millis) {
    while (!stopped) {
      poll();
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private synchronized void poll() {
    List<Progress> tasks;
    try {
      tasks = source.get();
    } catch (RuntimeException e) {
      return;
    }
    for (Progress p : tasks) {
      if (ended.contains(p.task())) {
        continue;
      }
      if (p.finished()) {
        renderer.finish(p);
        ended.add(p.task());
      } else {
        renderer.show(p);
        return;
      }
    }
  }
}
