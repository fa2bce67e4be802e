package io.freshet.deploy.stack;

/**
 * A main class that only waits, for tests of how child JVMs end. It prints {@link #SLEEPING} first:
 * by then the watchdog that runs it ignores SIGINT.
 */
public final class SleepForever {
  static final String SLEEPING = "sleeping";

  private SleepForever() {}

  public static void main(String[] args) throws InterruptedException {
    System.out.println(SLEEPING);
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
