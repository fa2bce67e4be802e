package io.freshet.flink.window;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The heap copy of recently used keys' window state: each key's decoded slices, slice index, last
 * emitted result and folded lifetime accumulators, and the event-time timers it has registered and
 * not yet seen fire. Events add into the decoded accumulators here instead of decoding and encoding
 * a slice per event; changes reach the keyed state only when written back, which happens for every
 * key before the keyed state is snapshotted and for the least recently used key when more than
 * {@code maxKeys} keys are held. Between two write-backs a cached key's state may lag its entry
 * here, so nothing reads a cached key's state except through its entry.
 */
final class SliceCache {
  /** Default bound on the keys held per operator instance. */
  static final int DEFAULT_MAX_KEYS = 50_000;

  /** One decoded slice. */
  static final class Slice {
    final Object[] accs;

    /** Changed since it was read from or written to state. */
    boolean dirty;

    /** State may hold a version of the slice (so dropping it must remove it there too). */
    boolean inState;

    Slice(Object[] accs, boolean inState) {
      this.accs = accs;
      this.inState = inState;
    }
  }

  /**
   * A key's lifetime accumulators: the slices no window needs any more, folded together, one
   * accumulator per aggregated part (null for parts that are not lifetime parts or saw no event).
   */
  static final class Folded {
    final Object[] accs;

    /** The end of the latest slice folded in: no folded event is at or after it. */
    long until;

    Folded(Object[] accs, long until) {
      this.accs = accs;
      this.until = until;
    }
  }

  /** One key's cached state. */
  static final class Entry {
    /** The key's slice starts, ascending: its slice index, possibly ahead of state. */
    long[] starts;

    boolean startsDirty;
    final Map<Long, Slice> slices = new HashMap<>(8);

    boolean lastLoaded;
    byte[] lastEmitted;
    boolean lastDirty;

    boolean foldedLoaded;

    /** The key's lifetime parts folded from dropped slices, or null when it has none. */
    Folded folded;

    boolean foldedDirty;

    /** Event-time timers registered for the key that have not fired yet (a lower bound). */
    private long[] timers = new long[2];

    private int timerCount;

    Entry(long[] starts) {
      this.starts = starts;
    }

    boolean dirty() {
      if (startsDirty || lastDirty || foldedDirty) {
        return true;
      }
      for (Slice s : slices.values()) {
        if (s.dirty) {
          return true;
        }
      }
      return false;
    }

    /** Records a timer; false when the key already has it. */
    boolean addTimer(long t) {
      for (int i = 0; i < timerCount; i++) {
        if (timers[i] == t) {
          return false;
        }
      }
      if (timerCount == timers.length) {
        long[] grown = new long[timers.length * 2];
        System.arraycopy(timers, 0, grown, 0, timerCount);
        timers = grown;
      }
      timers[timerCount++] = t;
      return true;
    }

    /** Forgets a timer that fired. */
    void removeTimer(long t) {
      for (int i = 0; i < timerCount; i++) {
        if (timers[i] == t) {
          timers[i] = timers[--timerCount];
          return;
        }
      }
    }
  }

  final int maxKeys;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(1024, 0.75f, true);

  SliceCache(int maxKeys) {
    if (maxKeys < 1) {
      throw new IllegalArgumentException("the window cache must hold at least one key");
    }
    this.maxKeys = maxKeys;
  }

  /** The key's entry, most recently used from now on; null when not cached. */
  Entry get(String key) {
    return entries.get(key);
  }

  void put(String key, Entry entry) {
    entries.put(key, entry);
  }

  boolean overflowing() {
    return entries.size() > maxKeys;
  }

  /** The least recently used entry, removed from the cache. */
  Map.Entry<String, Entry> removeEldest() {
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    Map.Entry<String, Entry> eldest = it.next();
    it.remove();
    return eldest;
  }

  Iterable<Map.Entry<String, Entry>> all() {
    return entries.entrySet();
  }

  int size() {
    return entries.size();
  }
}
