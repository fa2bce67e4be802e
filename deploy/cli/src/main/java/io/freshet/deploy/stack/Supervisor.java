package io.freshet.deploy.stack;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the local stack running: once a second it asks each watched part whether it is down, and
 * restarts one that is after a {@link RestartBackoff}. Each death and restart is a timestamped line
 * on the console and in the log. Nothing restarts once {@link #close()} has begun or {@code
 * stopping} says the stack is being stopped, so a teardown closes the supervisor first.
 *
 * <pre>{@code
 * Supervisor supervisor = new Supervisor(console, stop::isRequested);
 * supervisor.watch(cluster);   // JobManager and TaskManagers
 * supervisor.watch(broker);
 * supervisor.start();
 * ...
 * supervisor.close();          // before stopping what it watches
 * }</pre>
 */
public final class Supervisor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
  private static final Duration POLL = Duration.ofSeconds(1);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(60);

  private final PrintWriter console;
  private final BooleanSupplier stopping;
  private final RestartBackoff backoff;
  private final Clock clock;
  private final List<Watch> watched = new CopyOnWriteArrayList<>();
  private final AtomicInteger restarts = new AtomicInteger();
  private final Thread thread;
  private volatile boolean closed;

  /**
   * @param console where deaths and restarts are announced
   * @param stopping true once the stack is being stopped (a signal came): then nothing restarts
   */
  public Supervisor(PrintWriter console, BooleanSupplier stopping) {
    this(console, stopping, RestartBackoff.localStack(), Clock.systemUTC());
  }

  public Supervisor(
      PrintWriter console, BooleanSupplier stopping, RestartBackoff backoff, Clock clock) {
    this.console = console;
    this.stopping = stopping;
    this.backoff = backoff;
    this.clock = clock;
    this.thread = new Thread(this::run, "freshet-supervisor");
    this.thread.setDaemon(true);
  }

  /** Watches {@code part} from now on (checks begin with {@link #start()}). */
  public void watch(Supervised part) {
    watched.add(new Watch(part));
  }

  /** Watches the cluster's JobManager and each of its running TaskManagers. */
  public void watch(FlinkSessionCluster cluster) {
    watch(SupervisedProcess.jobManager(cluster));
    for (ChildJvm tm : cluster.taskManagers()) {
      if (tm.isAlive()) {
        watch(SupervisedProcess.taskManager(cluster, tm));
      }
    }
  }

  /** Watches the broker's process. */
  public void watch(KafkaBroker broker) {
    watch(SupervisedProcess.kafkaBroker(broker));
  }

  /** Starts checking, on a thread of its own. */
  public void start() {
    thread.start();
  }

  /** True while the checks run: from {@link #start()} until closed or stopping. */
  boolean isRunning() {
    return thread.isAlive();
  }

  /** How many restarts succeeded so far. */
  public int restarts() {
    return restarts.get();
  }

  /**
   * Stops checking and waits for a restart under way to end (it is interrupted), so that what was
   * started is known to its owner before the owner closes; nothing restarts after this returns.
   */
  @Override
  public void close() {
    closed = true;
    if (!thread.isAlive()) {
      return;
    }
    thread.interrupt();
    try {
      thread.join(CLOSE_TIMEOUT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.warn("the supervisor thread did not end within {} s", CLOSE_TIMEOUT.toSeconds());
    }
  }

  private boolean closing() {
    return closed || stopping.getAsBoolean();
  }

  private void run() {
    LOG.info("supervising {}", watched.stream().map(w -> w.part.name()).toList());
    try {
      while (!closing()) {
        for (Watch w : watched) {
          if (closing()) {
            return;
          }
          w.check();
        }
        Thread.sleep(POLL.toMillis());
      }
    } catch (InterruptedException e) {
      // closed
    } catch (RuntimeException e) {
      if (!closing()) {
        LOG.error("the supervisor stopped on an unexpected error", e);
        say("the supervisor stopped on an unexpected error: " + e + "; nothing restarts any more");
      }
    }
  }

  private void say(String line) {
    console.printf("%n[%s] %s%n", Instant.now(clock).truncatedTo(ChronoUnit.SECONDS), line);
    console.flush();
  }

  /** One watched part: up, or down and waiting for its restart. */
  private final class Watch {
    final Supervised part;
    long upSince = System.nanoTime();
    long downSince;
    long restartAt; // 0 while up
    int attempt;

    Watch(Supervised part) {
      this.part = part;
    }

    void check() {
      long now = System.nanoTime();
      if (restartAt == 0) {
        Optional<String> failure = failure();
        if (failure.isEmpty()) {
          return;
        }
        attempt = now - upSince >= backoff.stable().toNanos() ? 1 : attempt + 1;
        Duration delay = backoff.delay(attempt);
        downSince = now;
        restartAt = now + delay.toNanos();
        LOG.warn("the {} {}; restarting it in {}", part.name(), failure.get(), seconds(delay));
        say(
            "the "
                + part.name()
                + " "
                + failure.get()
                + "; restarting it in "
                + seconds(delay)
                + (attempt > 1 ? " (restart " + attempt + " in a row)" : ""));
      } else if (now >= restartAt && !closing()) {
        try {
          String what = part.restart();
          long tookMillis = (System.nanoTime() - downSince) / 1_000_000;
          restartAt = 0;
          upSince = System.nanoTime();
          restarts.incrementAndGet();
          LOG.info("the {} restarted {}", part.name(), what);
          say(
              "the "
                  + part.name()
                  + " restarted "
                  + what
                  + ", "
                  + seconds(Duration.ofMillis(tookMillis))
                  + " after it was found down");
        } catch (RuntimeException e) {
          if (closing()) {
            return;
          }
          attempt++;
          Duration delay = backoff.delay(attempt);
          restartAt = System.nanoTime() + delay.toNanos();
          LOG.warn("could not restart the {}; trying again in {}", part.name(), seconds(delay), e);
          say(
              "could not restart the "
                  + part.name()
                  + ": "
                  + e.getMessage()
                  + "; trying again in "
                  + seconds(delay));
        }
      }
    }

    private Optional<String> failure() {
      try {
        return part.failure();
      } catch (RuntimeException e) {
        LOG.warn("could not tell whether the {} runs", part.name(), e);
        return Optional.empty();
      }
    }
  }

  private static String seconds(Duration d) {
    return String.format("%.1f s", d.toMillis() / 1000.0);
  }
}
