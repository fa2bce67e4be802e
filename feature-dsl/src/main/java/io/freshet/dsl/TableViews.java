package io.freshet.dsl;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The rules a table-sourced feature view obeys, checked when the view is built. */
final class TableViews {
  private TableViews() {}

  static void check(
      String view,
      PostgresTableSource source,
      List<Feature> features,
      List<DerivedFeature> derived,
      Serving serving) {
    String at = "feature view '" + view + "'";
    if (source.timestampColumn() == null) {
      throw new DefinitionException(
          at
              + ": source '"
              + source.label()
              + "' has no timestamp column (call timestampColumn(\"updated_at\") on the source:"
              + " the column stamping when each row's values became true)");
    }
    Set<String> seen = new HashSet<>();
    for (Feature f : features) {
      if (!f.isColumn()) {
        throw new DefinitionException(
            at
                + ": feature '"
                + f.name()
                + "' aggregates events, but the view reads table source '"
                + source.label()
                + "' (declare Feature.named(\""
                + f.name()
                + "\").column(\"<column>\", FeatureType...), or move it to a Kafka view)");
      }
      if (!seen.add(f.name())) {
        throw new DefinitionException(
            at + " declares feature '" + f.name() + "' twice (rename one)");
      }
    }
    if (!derived.isEmpty()) {
      throw new DefinitionException(
          at
              + ": derived feature '"
              + derived.get(0).name()
              + "' is not supported on a table-sourced view (compute it in the table's query)");
    }
    if (serving.requestTimeMode()) {
      throw new DefinitionException(
          at
              + " reads a table and cannot be served at request time (its rows are not windowed;"
              + " remove servedAtRequestTime())");
    }
  }
}
