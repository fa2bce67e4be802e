package io.freshet.deploy.kubernetes;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/** "Did you mean" for misspelt field names and configuration keys. */
final class Suggestions {
  private Suggestions() {}

  /** The candidate nearest to {@code typo}, when it is close enough to be the intended one. */
  static Optional<String> closest(String typo, Collection<String> candidates) {
    int allowed = Math.max(2, typo.length() / 4);
    return candidates.stream()
        .filter(c -> distance(typo, c) <= allowed)
        .min(Comparator.comparingInt((String c) -> distance(typo, c)).thenComparing(c -> c));
  }

  /** {@code " (did you mean x?)"}, or nothing. */
  static String didYouMean(String typo, Collection<String> candidates) {
    return closest(typo, candidates).map(c -> " (did you mean " + c + "?)").orElse("");
  }

  /** Levenshtein distance. */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
