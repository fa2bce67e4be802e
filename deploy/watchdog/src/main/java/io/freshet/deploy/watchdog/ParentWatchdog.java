package io.freshet.deploy.watchdog;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import sun.misc.Signal;

/**
 * The main class of every JVM the {@code freshet} command starts (Kafka broker, Flink JobManager
 * and TaskManager): it runs the real main class and ends this process when the command's JVM is
 * gone, so that a {@code kill -9} of the command leaves nothing behind.
 *
 * <p>Usage: {@code ParentWatchdog <parent pid> <main class> [args...]}.
 *
 * <p>The parent is identified by its pid and start instant, so a recycled pid is not mistaken for
 * it. SIGINT is ignored: a Ctrl-C in a terminal reaches the whole process group, and the command
 * stops its children itself, in order (the job before the cluster, the cluster before Kafka), with
 * SIGTERM.
 */
public final class ParentWatchdog {
  private static final long POLL_MILLIS = 500;
  private static final long EXIT_GRACE_MILLIS = 20_000;

  private ParentWatchdog() {}

  public static void main(String[] args) throws Throwable {
    if (args.length < 2) {
      System.err.println("usage: ParentWatchdog <parent pid> <main class> [args...]");
      System.exit(2);
    }
    long parentPid = Long.parseLong(args[0]);
    Optional<ProcessHandle> parent = ProcessHandle.of(parentPid);
    if (parent.isEmpty()) {
      System.err.println("parent process " + parentPid + " is already gone; not starting");
      System.exit(1);
    }
    Optional<Instant> parentStart = parent.get().info().startInstant();
    ignoreSigint();
    Thread watcher =
        new Thread(() -> watch(parentPid, parentStart), "freshet-parent-watchdog-" + parentPid);
    watcher.setDaemon(true);
    watcher.start();

    Method main = Class.forName(args[1]).getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static void ignoreSigint() {
    try {
      Signal.handle(new Signal("INT"), signal -> {});
    } catch (IllegalArgumentException e) {
      // no SIGINT on this platform
    }
  }

  private static void watch(long parentPid, Optional<Instant> parentStart) {
    while (alive(parentPid, parentStart)) {
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
    System.err.println("parent process " + parentPid + " is gone; exiting");
    Thread halter =
        new Thread(
            () -> {
              try {
                Thread.sleep(EXIT_GRACE_MILLIS);
              } catch (InterruptedException ignored) {
                // halt now
              }
              Runtime.getRuntime().halt(137);
            },
            "freshet-parent-watchdog-halt");
    halter.setDaemon(true);
    halter.start();
    System.exit(143);
  }

  private static boolean alive(long pid, Optional<Instant> start) {
    Optional<ProcessHandle> p = ProcessHandle.of(pid);
    if (p.isEmpty() || !p.get().isAlive()) {
      return false;
    }
    return start.isEmpty() || start.equals(p.get().info().startInstant());
  }
}
