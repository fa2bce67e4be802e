package io.freshet.plan;

import io.freshet.dsl.DefinitionException;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureService.FeatureRef;
import io.freshet.dsl.FeatureService.OnDemandFeature;
import io.freshet.dsl.FeatureService.RequestFieldSpec;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.OnDemandExpression;
import io.freshet.dsl.OnDemandExpression.Arithmetic;
import io.freshet.dsl.OnDemandExpression.Call;
import io.freshet.dsl.OnDemandExpression.Comparison;
import io.freshet.dsl.OnDemandExpression.NumberLiteral;
import io.freshet.dsl.OnDemandExpression.RequestField;
import io.freshet.dsl.OnDemandExpression.StoredFeature;
import io.freshet.dsl.OnDemandExpression.TextLiteral;
import java.io.Serializable;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The on-demand features of a feature service, type-checked against the views: the one evaluator
 * used by the gateway and by training sets, and the one text form of its values, so that the
 * gateway's JSON value and a training set's CSV cell are the same characters.
 *
 * <p>Inputs: stored values as the stores decode them (INT64 a {@link Long}, FLOAT64 a {@link
 * Double}, STRING a {@link String}; null when absent), request values likewise typed by the request
 * field's type ({@link #parseRequestValue} reads them from text), and the request instant in epoch
 * milliseconds. Outputs: a {@link Double}, {@link Boolean} or {@link String}, or null.
 *
 * <p>Text form ({@link #text}): a number that is a whole number of magnitude below 10^15 in decimal
 * digits ({@code 3}, {@code -12}; negative zero as {@code 0}); any other number as Java's {@code
 * Double.toString} ({@code 0.5}, {@code 1.0E20}), valid as a JSON number; booleans {@code
 * true}/{@code false}; strings as they are.
 */
public final class OnDemandPlan implements Serializable {

  /** The type of an expression's value. */
  public enum ValueType {
    NUMBER,
    BOOLEAN,
    STRING
  }

  /**
   * One on-demand output.
   *
   * @param name the feature's name
   * @param type its value type
   * @param expression its expression
   */
  public record Output(String name, ValueType type, OnDemandExpression expression)
      implements Serializable {}

  private final String service;
  private final List<RequestFieldSpec> requestFields;
  private final List<FeatureRef> inputs;
  private final Map<FeatureRef, FeatureType> inputTypes;
  private final List<Output> outputs;

  private OnDemandPlan(
      String service,
      List<RequestFieldSpec> requestFields,
      List<FeatureRef> inputs,
      Map<FeatureRef, FeatureType> inputTypes,
      List<Output> outputs) {
    this.service = service;
    this.requestFields = requestFields;
    this.inputs = inputs;
    this.inputTypes = inputTypes;
    this.outputs = outputs;
  }

  /**
   * Type-checks a service's on-demand features.
   *
   * @param featureType the type of a stored feature, or null when there is no such feature
   * @throws DefinitionException naming the service, the feature and what to do
   */
  public static OnDemandPlan of(
      FeatureService service, Function<FeatureRef, FeatureType> featureType) {
    Map<String, FeatureType> fields = new LinkedHashMap<>();
    for (RequestFieldSpec f : service.requestFields()) {
      fields.put(f.name(), f.type());
    }
    Map<FeatureRef, FeatureType> inputTypes = new LinkedHashMap<>();
    List<Output> outputs = new ArrayList<>();
    for (OnDemandFeature f : service.onDemand()) {
      Checker checker = new Checker(service.name(), f.name(), fields, featureType, inputTypes);
      outputs.add(new Output(f.name(), checker.type(f.expression()), f.expression()));
    }
    return new OnDemandPlan(
        service.name(),
        service.requestFields(),
        List.copyOf(inputTypes.keySet()),
        Map.copyOf(inputTypes),
        List.copyOf(outputs));
  }

  public String service() {
    return service;
  }

  /** The request fields the caller must send, in declaration order. */
  public List<RequestFieldSpec> requestFields() {
    return requestFields;
  }

  /** The stored features the expressions read, in order of first use. */
  public List<FeatureRef> inputs() {
    return inputs;
  }

  public List<Output> outputs() {
    return outputs;
  }

  /** Whether the service has on-demand features. */
  public boolean isEmpty() {
    return outputs.isEmpty();
  }

  /** The type of a stored input. */
  public FeatureType inputType(FeatureRef ref) {
    return inputTypes.get(ref);
  }

  /**
   * Evaluates every output for one row.
   *
   * @param stored the value of each stored input (see the class comment), null when absent
   * @param request the value of each request field by name, null when null
   * @param instantMillis the request instant, epoch milliseconds
   * @return one value per output, in order
   */
  public Object[] evaluate(
      Function<FeatureRef, Object> stored, Function<String, Object> request, long instantMillis) {
    Row row = new Row(stored, request, instantMillis);
    Object[] values = new Object[outputs.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = row.eval(outputs.get(i).expression());
    }
    return values;
  }

  /** The text form of an output value (see the class comment); null stays null. */
  public static String text(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof Double d) {
      double v = d;
      if (v == Math.rint(v) && Math.abs(v) < 1e15) {
        return Long.toString((long) v);
      }
      String shortest = Double.toString(v);
      double magnitude = Math.abs(v);
      return magnitude >= 1e-3 && magnitude < 1e15
          ? new BigDecimal(shortest).toPlainString()
          : shortest;
    }
    if (value instanceof Boolean b) {
      return b ? "true" : "false";
    }
    return (String) value;
  }

  /**
   * A request field's value from text, as a label column holds it: INT64 decimal digits, FLOAT64 a
   * decimal or exponent number, STRING as is; empty text (for a number) is null.
   *
   * @throws IllegalArgumentException saying what was expected
   */
  public static Object parseRequestValue(FeatureType type, String text) {
    if (text == null) {
      return null;
    }
    switch (type) {
      case STRING:
        return text;
      case INT64:
        if (text.isEmpty()) {
          return null;
        }
        try {
          return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "expected an INT64 (whole number, e.g. 42), got '" + clip(text) + "'");
        }
      case FLOAT64:
        if (text.isEmpty()) {
          return null;
        }
        String t = text.strip();
        if (t.isEmpty() || !isDecimal(t)) {
          throw new IllegalArgumentException(
              "expected a FLOAT64 (a number, e.g. 19.99), got '" + clip(text) + "'");
        }
        return Double.parseDouble(t);
      default:
        throw new IllegalArgumentException("request fields are never " + type);
    }
  }

  /** A JSON-like number: optional sign, digits, fraction, exponent (no hex, no NaN, no suffix). */
  private static boolean isDecimal(String t) {
    return t.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?");
  }

  private static String clip(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }

  /** Evaluation of one row. */
  private record Row(
      Function<FeatureRef, Object> stored, Function<String, Object> request, long instant) {

    Object eval(OnDemandExpression e) {
      if (e instanceof StoredFeature f) {
        return normalize(stored.apply(f.ref()));
      }
      if (e instanceof RequestField f) {
        return normalize(request.apply(f.name()));
      }
      if (e instanceof NumberLiteral n) {
        return n.value();
      }
      if (e instanceof TextLiteral t) {
        return t.value();
      }
      if (e instanceof Arithmetic a) {
        Object l = eval(a.left());
        Object r = eval(a.right());
        if (l == null || r == null) {
          return null;
        }
        return a.op().apply((Double) l, (Double) r, a.whenZero());
      }
      if (e instanceof Comparison c) {
        return compare(c.comparator(), eval(c.left()), eval(c.right()));
      }
      Call call = (Call) e;
      switch (call.function()) {
        case COALESCE:
          {
            Object v = eval(call.args().get(0));
            return v != null ? v : eval(call.args().get(1));
          }
        case SECONDS_SINCE:
          {
            Object ts = rawTimestamp(call.args().get(0));
            if (ts == null) {
              return null;
            }
            long ms;
            try {
              ms = Math.subtractExact(instant, (Long) ts);
            } catch (ArithmeticException overflow) {
              return null;
            }
            return ms / 1000.0;
          }
        default:
          break;
      }
      Object a = eval(call.args().get(0));
      if (a == null) {
        return null;
      }
      double x = (Double) a;
      switch (call.function()) {
        case ABS:
          return Math.abs(x);
        case LOG:
          return x <= 0 ? null : finite(Math.log(x));
        default:
          break;
      }
      Object b = eval(call.args().get(1));
      if (b == null) {
        return null;
      }
      double y = (Double) b;
      return call.function() == OnDemandExpression.Function.MIN ? Math.min(x, y) : Math.max(x, y);
    }

    /** The epoch milliseconds of a timestamp reference, not converted to a double. */
    private Object rawTimestamp(OnDemandExpression e) {
      Object v =
          e instanceof StoredFeature f
              ? stored.apply(f.ref())
              : request.apply(((RequestField) e).name());
      return v instanceof Long ? v : null;
    }

    private static Object compare(OnDemandExpression.Comparator c, Object l, Object r) {
      if (l == null || r == null) {
        return null;
      }
      int cmp;
      if (l instanceof Double a) {
        double x = a;
        double y = (Double) r;
        cmp = x < y ? -1 : x > y ? 1 : 0;
      } else if (l instanceof String a) {
        cmp = a.compareTo((String) r);
      } else {
        cmp = Boolean.compare((Boolean) l, (Boolean) r);
      }
      return switch (c) {
        case LT -> cmp < 0;
        case LE -> cmp <= 0;
        case GT -> cmp > 0;
        case GE -> cmp >= 0;
        case EQ -> cmp == 0;
        case NE -> cmp != 0;
      };
    }

    /** INT64 as a double, a non-finite double as null; strings as they are. */
    private static Object normalize(Object v) {
      if (v instanceof Long l) {
        return (double) l;
      }
      if (v instanceof Double d) {
        return finite(d);
      }
      if (v instanceof Number n) {
        return finite(n.doubleValue());
      }
      return v;
    }

    private static Double finite(double d) {
      return Double.isFinite(d) ? d : null;
    }
  }

  /** The type checker of one on-demand feature; records the stored inputs it reads. */
  private record Checker(
      String service,
      String feature,
      Map<String, FeatureType> fields,
      Function<FeatureRef, FeatureType> featureType,
      Map<FeatureRef, FeatureType> inputs) {

    ValueType type(OnDemandExpression e) {
      if (e instanceof StoredFeature f) {
        return valueType(storedType(f.ref()), f.describe());
      }
      if (e instanceof RequestField f) {
        return valueType(fieldType(f.name()), f.name());
      }
      if (e instanceof NumberLiteral) {
        return ValueType.NUMBER;
      }
      if (e instanceof TextLiteral) {
        return ValueType.STRING;
      }
      if (e instanceof Arithmetic a) {
        expect(a.left(), ValueType.NUMBER, "operand of " + a.op().symbol());
        expect(a.right(), ValueType.NUMBER, "operand of " + a.op().symbol());
        return ValueType.NUMBER;
      }
      if (e instanceof Comparison c) {
        ValueType l = type(c.left());
        ValueType r = type(c.right());
        boolean equality =
            c.comparator() == OnDemandExpression.Comparator.EQ
                || c.comparator() == OnDemandExpression.Comparator.NE;
        if (!equality && (l != ValueType.NUMBER || r != ValueType.NUMBER)) {
          throw error(
              c.describe()
                  + " compares "
                  + l
                  + " with "
                  + r
                  + ", but "
                  + c.comparator().symbol()
                  + " takes numbers (use == or != for strings and booleans)");
        }
        if (l != r) {
          throw error(
              c.describe() + " compares " + l + " with " + r + " (compare values of one type)");
        }
        return ValueType.BOOLEAN;
      }
      Call call = (Call) e;
      switch (call.function()) {
        case COALESCE:
          {
            ValueType v = type(call.args().get(0));
            ValueType d = type(call.args().get(1));
            if (v != d) {
              throw error(
                  call.describe()
                      + " has a value of type "
                      + v
                      + " but a default of type "
                      + d
                      + " (give a default of type "
                      + v
                      + ")");
            }
            return v;
          }
        case SECONDS_SINCE:
          {
            OnDemandExpression arg = call.args().get(0);
            FeatureType t;
            if (arg instanceof StoredFeature f) {
              t = storedType(f.ref());
            } else if (arg instanceof RequestField f) {
              t = fieldType(f.name());
            } else {
              throw error(
                  call.describe()
                      + " takes a timestamp feature or request field, not an expression"
                      + " (e.g. seconds_since(user_lifetime:last_event_ts))");
            }
            if (t != FeatureType.INT64) {
              throw error(
                  call.describe()
                      + " takes an INT64 epoch-millisecond timestamp, but "
                      + arg.describe()
                      + " is "
                      + t);
            }
            return ValueType.NUMBER;
          }
        default:
          for (OnDemandExpression arg : call.args()) {
            expect(arg, ValueType.NUMBER, "argument of " + call.function().text());
          }
          return ValueType.NUMBER;
      }
    }

    private void expect(OnDemandExpression e, ValueType wanted, String role) {
      ValueType t = type(e);
      if (t != wanted) {
        throw error(
            "the "
                + role
                + ", "
                + e.describe()
                + ", is "
                + t
                + " (expected "
                + wanted
                + "; convert it, or compare it with == to get a boolean)");
      }
    }

    private FeatureType storedType(FeatureRef ref) {
      FeatureType t = featureType.apply(ref);
      if (t == null) {
        throw error(
            "it reads "
                + ref
                + ", which no view defines (define the feature, or fix the reference)");
      }
      inputs.put(ref, t);
      return t;
    }

    private FeatureType fieldType(String name) {
      FeatureType t = fields.get(name);
      if (t == null) {
        throw error(
            "it reads request field '"
                + name
                + "', which the service does not declare (add .requestField(\""
                + name
                + "\", type); declared: "
                + fields.keySet()
                + ")");
      }
      return t;
    }

    private ValueType valueType(FeatureType t, String what) {
      return switch (t) {
        case INT64, FLOAT64 -> ValueType.NUMBER;
        case STRING -> ValueType.STRING;
        case STRING_LIST ->
            throw error(
                what + " is a STRING_LIST, which on-demand features cannot read (use a scalar)");
      };
    }

    private DefinitionException error(String problem) {
      return new DefinitionException(
          "feature service '" + service + "', on-demand feature '" + feature + "': " + problem);
    }
  }
}
