package io.freshet.deploy.stack;

/** A main class that only waits, for tests of how child JVMs end. */
public final class SleepForever {
  private SleepForever() {}

  public static void main(String[] args) throws InterruptedException {
    Thread.sleep(Long.MAX_VALUE);
  }
}
