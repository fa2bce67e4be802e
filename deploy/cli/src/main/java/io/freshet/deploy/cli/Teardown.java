package io.freshet.deploy.cli;

import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a command started, stopped in reverse order of starting. Each stop runs even when an earlier
 * one failed; failures are reported, not thrown, so that nothing is left running.
 */
final class Teardown {
  /** A stop action that may fail. */
  interface Stop {
    void run() throws Exception;
  }

  private record Entry(String name, Stop stop) {}

  private final Deque<Entry> entries = new ArrayDeque<>();

  /** Registers {@code stop}, to run before everything registered earlier. */
  synchronized void add(String name, Stop stop) {
    entries.push(new Entry(name, stop));
  }

  synchronized boolean isEmpty() {
    return entries.isEmpty();
  }

  /** Runs every stop, newest first, printing one line per stop; true when all succeeded. */
  boolean run(PrintWriter out) {
    boolean ok = true;
    while (true) {
      Entry e;
      synchronized (this) {
        e = entries.poll();
      }
      if (e == null) {
        return ok;
      }
      long start = System.nanoTime();
      try {
        e.stop().run();
        out.printf("  %5.1f s  stopped %s%n", (System.nanoTime() - start) / 1e9, e.name());
      } catch (Exception ex) {
        ok = false;
        out.printf("  could not stop %s: %s%n", e.name(), ex.getMessage());
      }
      out.flush();
    }
  }
}
