package io.freshet.training;

import io.freshet.dsl.FeatureService.RequestFieldSpec;
import io.freshet.dsl.FeatureType;
import io.freshet.plan.OnDemandPlan;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The on-demand columns of a training set for a feature service: request values read from the label
 * columns of their names, and each label row's values made by {@link OnDemandPlan}, the gateway's
 * evaluator, at the label time.
 */
final class OnDemandColumns {
  private OnDemandColumns() {}

  /**
   * Each request field's values, by field then label row, parsed by the field's type.
   *
   * @throws TrainingSetException naming a missing column, or the line and column of a bad value
   */
  static Object[][] requestValues(OnDemandPlan plan, Work w) {
    Labels labels = w.labels();
    List<RequestFieldSpec> fields = plan.requestFields();
    Object[][] values = new Object[fields.size()][];
    for (int f = 0; f < fields.size(); f++) {
      RequestFieldSpec spec = fields.get(f);
      int column = labels.column(spec.name());
      if (column < 0) {
        throw new TrainingSetException(
            "the labels have no column '"
                + spec.name()
                + "', the request field ("
                + spec.type()
                + ") of feature service '"
                + plan.service()
                + "' that its on-demand features read (add the column to the labels; its"
                + " columns: "
                + labels.columns
                + ")");
      }
      values[f] = new Object[labels.size()];
      for (int row = 0; row < labels.size(); row++) {
        try {
          values[f][row] =
              OnDemandPlan.parseRequestValue(spec.type(), labels.rows.get(row)[column]);
        } catch (IllegalArgumentException e) {
          throw new TrainingSetException(
              labels.where(row)
                  + ", column "
                  + spec.name()
                  + ": "
                  + e.getMessage()
                  + " (fix the value, or leave the cell empty for none)");
        }
      }
    }
    return values;
  }

  /**
   * The joined values with one more pseudo-view holding each row's on-demand texts, and their
   * output columns added to {@code columns}.
   *
   * @param inputAt for each stored input of {@code plan}: its view and value index in {@code
   *     picked}
   */
  static String[][][] append(
      OnDemandPlan plan,
      Work w,
      Object[][] requestValues,
      int[][] inputAt,
      String[][][] picked,
      List<OutputWriter.Column> columns,
      List<String> labelColumns) {
    Labels labels = w.labels();
    int extra = picked.length;
    String[][][] out = new String[extra + 1][][];
    System.arraycopy(picked, 0, out, 0, extra);
    String[][] texts = new String[labels.size()][];
    List<RequestFieldSpec> fields = plan.requestFields();
    for (int row = 0; row < labels.size(); row++) {
      int r = row;
      Object[] values =
          plan.evaluate(
              ref -> {
                int i = plan.inputs().indexOf(ref);
                String[] viewValues = picked[inputAt[i][0]][r];
                String text = viewValues == null ? null : viewValues[inputAt[i][1]];
                return stored(plan.inputType(ref), text);
              },
              name -> {
                for (int f = 0; f < fields.size(); f++) {
                  if (fields.get(f).name().equals(name)) {
                    return requestValues[f][r];
                  }
                }
                return null;
              },
              Math.floorDiv(labels.timeMicros[row], 1000L));
      String[] rowTexts = new String[values.length];
      for (int o = 0; o < values.length; o++) {
        rowTexts[o] = OnDemandPlan.text(values[o]);
      }
      texts[row] = rowTexts;
    }
    out[extra] = texts;
    Set<String> taken = new HashSet<>(labelColumns);
    for (OutputWriter.Column c : columns) {
      taken.add(c.name());
    }
    for (int o = 0; o < plan.outputs().size(); o++) {
      OnDemandPlan.Output output = plan.outputs().get(o);
      String name = w.fullNames() ? plan.service() + "__" + output.name() : output.name();
      if (!taken.add(name)) {
        throw new TrainingSetException(
            "on-demand feature "
                + output.name()
                + " of feature service '"
                + plan.service()
                + "' would be written as column '"
                + name
                + "', which the labels or another feature already have; rename that label"
                + " column or ask for full feature names");
      }
      FeatureType type =
          output.type() == OnDemandPlan.ValueType.NUMBER ? FeatureType.FLOAT64 : FeatureType.STRING;
      columns.add(new OutputWriter.Column(name, extra, o, type));
    }
    return out;
  }

  /** A stored value in Postgres text form, typed as the gateway reads it. */
  private static Object stored(FeatureType type, String text) {
    if (text == null) {
      return null;
    }
    return switch (type) {
      case INT64 -> Long.parseLong(text);
      case FLOAT64 -> Double.parseDouble(text);
      case STRING -> text;
      case STRING_LIST -> null;
    };
  }
}
