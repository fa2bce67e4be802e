package io.freshet.registry;

import io.freshet.dsl.Durations;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.TileTable;
import io.freshet.plan.ViewPlan;
import io.freshet.registry.ViewChange.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What applying a set of definitions does to the registry: one {@link ViewChange} per view, in the
 * order given, and the registered views the definitions leave out (which apply leaves as they are).
 * Immutable; made by {@link Registry#plan} and returned by {@link Registry#apply}.
 */
public final class Plan {
  private final List<ViewChange> changes;
  private final List<RegisteredView> notInDefinitions;

  Plan(List<ViewChange> changes, List<RegisteredView> notInDefinitions) {
    this.changes = List.copyOf(changes);
    this.notInDefinitions = List.copyOf(notInDefinitions);
  }

  /** One entry per view given, in the order given. */
  public List<ViewChange> changes() {
    return changes;
  }

  /** The entries of one kind. */
  public List<ViewChange> changes(Kind kind) {
    return changes.stream().filter(c -> c.kind() == kind).toList();
  }

  /** The current versions of registered views that these definitions do not mention. */
  public List<RegisteredView> notInDefinitions() {
    return notInDefinitions;
  }

  /** Whether applying writes anything. */
  public boolean hasChanges() {
    return changes.stream().anyMatch(c -> c.kind() != Kind.UNCHANGED);
  }

  /** The count per kind: {@code 1 new, 0 changed, 0 settings changed, 1 unchanged}. */
  public String summary() {
    return changes(Kind.NEW).size()
        + " new, "
        + changes(Kind.CHANGED).size()
        + " changed, "
        + changes(Kind.SETTINGS_CHANGED).size()
        + " settings changed, "
        + changes(Kind.UNCHANGED).size()
        + " unchanged";
  }

  /**
   * The plan as {@code freshet apply} prints it: a count per kind, then per view its kind, version,
   * offline table and what changed. Stable for equal inputs.
   */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append("Plan: ").append(summary()).append('\n');
    for (ViewChange c : changes) {
      describe(c, sb);
    }
    if (!notInDefinitions.isEmpty()) {
      sb.append("Registered but not in these definitions (left as they are):");
      for (RegisteredView r : notInDefinitions) {
        sb.append(' ').append(r.name()).append(" v").append(r.version());
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static void describe(ViewChange c, StringBuilder sb) {
    String table = tableName(c.plan());
    String kindOfTable = c.plan().requestTime() ? "tile table " : "offline table ";
    String serving = ", " + serving(c.plan());
    RegisteredView prev = c.previous();
    switch (c.kind()) {
      case NEW -> {
        sb.append("+ ").append(c.name()).append(": new, version ").append(c.version());
        sb.append(serving);
        sb.append("\n    ").append(kindOfTable).append(table).append(" (new)\n");
      }
      case CHANGED -> {
        sb.append("~ ").append(c.name()).append(": changed, version ").append(prev.version());
        sb.append(c.versionExists() ? " -> back to version " : " -> ").append(c.version());
        sb.append(serving);
        sb.append("\n    ").append(kindOfTable).append(table);
        sb.append(c.versionExists() ? " (exists" : " (new");
        sb.append("; version ").append(prev.version()).append(" keeps ");
        sb.append(tableName(prev.plan())).append(")\n");
        if (prev.definition().equals(c.view())) {
          sb.append(
              "    same definition, other fingerprint: the fingerprint's computation changed\n");
        }
        for (String line : diff(meaningLines(prev.definition()), meaningLines(c.view()))) {
          sb.append("    ").append(line).append('\n');
        }
      }
      case SETTINGS_CHANGED -> {
        sb.append("~ ").append(c.name()).append(": settings changed, version ");
        sb.append(c.version()).append(" stays").append(serving);
        sb.append("\n    ").append(kindOfTable).append(table).append(" (unchanged)\n");
        for (String line : settingsDiff(prev.definition(), c.view())) {
          sb.append("    ").append(line).append('\n');
        }
      }
      case UNCHANGED -> {
        sb.append("= ").append(c.name()).append(": unchanged, version ").append(c.version());
        sb.append(serving).append(", ").append(kindOfTable).append(table).append('\n');
      }
    }
  }

  /**
   * Where a view version's history goes: its row table, or for a view served at request time its
   * tile table (it has no row table).
   */
  static String tableName(ViewPlan plan) {
    return plan.requestTime()
        ? TileTable.of(plan).qualifiedName()
        : OfflineTable.of(plan).qualifiedName();
  }

  /**
   * How a view is served: "served at window ends", "served at request time, tiles of 1m", "loaded
   * from freshet_examples.user_profile by freshet materialize".
   */
  static String serving(ViewPlan plan) {
    if (plan.tableSourced()) {
      return "loaded from "
          + (plan.tableSource().table() != null ? plan.tableSource().table() : "a query")
          + " by freshet materialize";
    }
    return plan.requestTime()
        ? "served at request time, tiles of "
            + Durations.format(Duration.ofMillis(plan.tileMillis()))
        : "served at window ends";
  }

  /** The lines of the plan description that carry meaning (not TTL, delay or fingerprint). */
  private static List<String> meaningLines(FeatureView v) {
    List<String> lines = new ArrayList<>();
    for (String line : ViewPlan.of(v).describe().split("\n")) {
      if (!line.startsWith("ttl ")
          && !line.startsWith("availability delay ")
          && !line.startsWith("fingerprint ")) {
        lines.add(line.strip());
      }
    }
    return lines;
  }

  /** Lines only in {@code before} marked "-", then lines only in {@code after} marked "+". */
  private static List<String> diff(List<String> before, List<String> after) {
    Set<String> removed = new LinkedHashSet<>(before);
    after.forEach(removed::remove);
    Set<String> added = new LinkedHashSet<>(after);
    before.forEach(added::remove);
    List<String> out = new ArrayList<>();
    removed.forEach(l -> out.add("- " + l));
    added.forEach(l -> out.add("+ " + l));
    return out;
  }

  private static List<String> settingsDiff(FeatureView before, FeatureView after) {
    List<String> out = new ArrayList<>();
    setting(out, "ttl", before.ttl(), after.ttl());
    setting(out, "availability delay", before.availabilityDelay(), after.availabilityDelay());
    if (before.source() instanceof KafkaJsonSource b
        && after.source() instanceof KafkaJsonSource a) {
      setting(out, "idle timeout", b.idleTimeout(), a.idleTimeout());
    }
    if (out.isEmpty()) {
      out.add("the definition differs in a detail that does not change its meaning");
    }
    return out;
  }

  private static void setting(List<String> out, String what, Duration before, Duration after) {
    if (!before.equals(after)) {
      out.add(what + " " + Durations.format(before) + " -> " + Durations.format(after));
    }
  }

  @Override
  public String toString() {
    return describe();
  }
}
