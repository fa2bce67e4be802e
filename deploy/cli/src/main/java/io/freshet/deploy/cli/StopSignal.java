package io.freshet.deploy.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns SIGINT/SIGTERM into an orderly stop: the shutdown hook wakes the command's main thread,
 * then holds the JVM open until that thread reports that everything it started is stopped.
 */
final class StopSignal {
  private static volatile boolean signalled;

  private final CountDownLatch requested = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Duration maxStopTime;
  private Thread interruptible; // guarded by this

  private StopSignal(Duration maxStopTime) {
    this.maxStopTime = maxStopTime;
  }

  /** Installs the shutdown hook; a stop may take up to {@code maxStopTime} after a signal. */
  static StopSignal install(Duration maxStopTime) {
    StopSignal s = new StopSignal(maxStopTime);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (s.stopped.getCount() > 0) {
                    signalled = true;
                  }
                  s.requested.countDown();
                  s.interruptStarter();
                  try {
                    s.stopped.await(s.maxStopTime.toMillis(), TimeUnit.MILLISECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "freshet-stop"));
    return s;
  }

  /** True once a signal has started the JVM's shutdown: the JVM will exit by itself. */
  static boolean signalled() {
    return signalled;
  }

  /**
   * Waits for a signal, at most {@code limit} (null: no limit); true when a signal came.
   *
   * @throws InterruptedException when this thread is interrupted
   */
  boolean await(Duration limit) throws InterruptedException {
    if (limit == null) {
      requested.await();
      return true;
    }
    return requested.await(limit.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** True when a signal has come. */
  boolean isRequested() {
    return requested.getCount() == 0;
  }

  /**
   * While {@code thread} is starting services, a signal interrupts it so that it stops waiting and
   * tears down; null ends that (teardown itself must not be interrupted).
   */
  synchronized void interruptOnSignal(Thread thread) {
    interruptible = thread;
  }

  private synchronized void interruptStarter() {
    if (interruptible != null) {
      interruptible.interrupt();
    }
  }

  /** Reports that everything is stopped: the JVM may exit. */
  void stopped() {
    stopped.countDown();
  }
}
