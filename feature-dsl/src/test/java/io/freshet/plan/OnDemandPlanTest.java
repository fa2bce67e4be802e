package io.freshet.plan;

import static io.freshet.dsl.OnDemandExpression.abs;
import static io.freshet.dsl.OnDemandExpression.add;
import static io.freshet.dsl.OnDemandExpression.coalesce;
import static io.freshet.dsl.OnDemandExpression.divide;
import static io.freshet.dsl.OnDemandExpression.feature;
import static io.freshet.dsl.OnDemandExpression.field;
import static io.freshet.dsl.OnDemandExpression.greaterThan;
import static io.freshet.dsl.OnDemandExpression.log;
import static io.freshet.dsl.OnDemandExpression.number;
import static io.freshet.dsl.OnDemandExpression.secondsSince;
import static io.freshet.dsl.OnDemandExpression.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.dsl.DefinitionException;
import io.freshet.dsl.Expression;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureService.FeatureRef;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.OnDemandExpression;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The evaluator against an oracle built beside each generated expression: every generated node
 * carries its own meaning, written from the documented rules, independently of the evaluator.
 */
class OnDemandPlanTest {
  private static final Map<String, FeatureType> STORED =
      Map.of(
          "v:a", FeatureType.FLOAT64,
          "v:b", FeatureType.INT64,
          "v:s", FeatureType.STRING,
          "w:ts", FeatureType.INT64,
          "w:tags", FeatureType.STRING_LIST);

  /** One input row: stored values, request values, the instant. */
  record Env(Map<String, Object> stored, Map<String, Object> request, long instant) {}

  /** An expression and its meaning. */
  record Gen(OnDemandExpression expr, Function<Env, Object> meaning) {}

  private static final double[] DOUBLES = {
    0,
    -0.0,
    1,
    -1,
    2.5,
    -7.25,
    1e300,
    -1e300,
    1e-300,
    Double.NaN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    123456789.125,
    3,
    1e15,
    1e16
  };
  private static final long[] LONGS = {
    0, 1, -1, 42, Long.MAX_VALUE, Long.MIN_VALUE, 1_700_000_000_000L, -5, 1L << 53
  };
  private static final String[] STRINGS = {"", "web", "ios", "Zürich ☃", "web "};

  private final Random random = new Random(20261203);

  @Test
  void evaluator_matches_the_oracle_on_generated_expressions_and_inputs() {
    FeatureService.Builder service =
        FeatureService.named("svc")
            .requestField("x", FeatureType.FLOAT64)
            .requestField("n", FeatureType.INT64)
            .requestField("t", FeatureType.STRING);
    List<Gen> gens = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      int kind = random.nextInt(3);
      Gen g = kind == 0 ? num(4) : kind == 1 ? bool(4) : str(3);
      gens.add(g);
      service.onDemand("f" + i, g.expr());
    }
    OnDemandPlan plan = OnDemandPlan.of(service.build(), r -> STORED.get(r.toString()));
    int nonNull = 0;
    for (int row = 0; row < 300; row++) {
      Env env = env();
      Object[] values =
          plan.evaluate(r -> env.stored().get(r.toString()), env.request()::get, env.instant());
      for (int i = 0; i < gens.size(); i++) {
        String expected = oracleText(gens.get(i).meaning().apply(env));
        String actual = OnDemandPlan.text(values[i]);
        assertThat(actual).as("%s at %s", gens.get(i).expr().describe(), env).isEqualTo(expected);
        if (actual != null) {
          nonNull++;
        }
      }
    }
    assertThat(nonNull).as("a useful share of values are not null").isGreaterThan(30_000);
  }

  @Test
  void text_forms_are_fixed() {
    assertThat(OnDemandPlan.text(3.0)).isEqualTo("3");
    assertThat(OnDemandPlan.text(-0.0)).isEqualTo("0");
    assertThat(OnDemandPlan.text(0.5)).isEqualTo("0.5");
    assertThat(OnDemandPlan.text(1e20)).isEqualTo("1.0E20");
    assertThat(OnDemandPlan.text(1.796321476834E9)).isEqualTo("1796321476.834");
    assertThat(OnDemandPlan.text(-12345678.5)).isEqualTo("-12345678.5");
    assertThat(OnDemandPlan.text(1e-9)).isEqualTo("1.0E-9");
    assertThat(OnDemandPlan.text(0.001)).isEqualTo("0.001");
    assertThat(OnDemandPlan.text(true)).isEqualTo("true");
    assertThat(OnDemandPlan.text("a,b")).isEqualTo("a,b");
    assertThat(OnDemandPlan.text(null)).isNull();
  }

  @Test
  void seconds_since_an_epoch_millisecond_feature() {
    FeatureService s =
        FeatureService.named("svc")
            .onDemand("since", secondsSince(feature("w:ts")))
            .onDemand("recent", greaterThan(number(60), secondsSince(feature("w:ts"))))
            .build();
    OnDemandPlan plan = OnDemandPlan.of(s, r -> STORED.get(r.toString()));
    assertThat(plan.inputs()).containsExactly(FeatureRef.parse("w:ts"));
    Object[] v = plan.evaluate(r -> 1_700_000_000_000L, f -> null, 1_700_000_090_500L);
    assertThat(v).containsExactly(90.5, false);
    assertThat(plan.evaluate(r -> null, f -> null, 0)).containsExactly(null, null);
  }

  @Test
  void ill_typed_definitions_name_the_service_the_feature_and_the_fix() {
    assertThatThrownBy(() -> check(add(feature("v:s"), number(1))))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "feature service 'svc', on-demand feature 'f': the operand of +, v:s, is STRING"
                + " (expected NUMBER; convert it, or compare it with == to get a boolean)");
    assertThatThrownBy(() -> check(greaterThan(feature("v:s"), text("a"))))
        .hasMessageContaining("on-demand feature 'f'")
        .hasMessageContaining("use == or != for strings and booleans");
    assertThatThrownBy(() -> check(secondsSince(feature("v:a"))))
        .hasMessage(
            "feature service 'svc', on-demand feature 'f': seconds_since(v:a) takes an INT64"
                + " epoch-millisecond timestamp, but v:a is FLOAT64");
    assertThatThrownBy(() -> check(secondsSince(add(feature("v:b"), number(1)))))
        .hasMessageContaining("takes a timestamp feature or request field, not an expression");
    assertThatThrownBy(() -> check(coalesce(feature("v:a"), text("none"))))
        .hasMessageContaining("has a value of type NUMBER but a default of type STRING");
    assertThatThrownBy(() -> check(add(field("amount"), number(1))))
        .hasMessageContaining("request field 'amount', which the service does not declare")
        .hasMessageContaining(".requestField(\"amount\", type)");
    assertThatThrownBy(() -> check(abs(feature("v:missing"))))
        .hasMessageContaining("it reads v:missing, which no view defines");
    assertThatThrownBy(() -> check(OnDemandExpression.equal(feature("w:tags"), text("a"))))
        .hasMessageContaining("STRING_LIST");
    assertThatThrownBy(
            () -> FeatureService.named("svc").features("v:a").onDemand("a", number(1)).build())
        .hasMessageContaining("on-demand feature 'a' has the name of another output");
    assertThatThrownBy(
            () -> FeatureService.named("svc").requestField("x", FeatureType.STRING_LIST).build())
        .hasMessageContaining("use INT64, FLOAT64 or STRING");
    assertThatThrownBy(() -> divide(number(1), number(2), Double.NaN))
        .hasMessageContaining("division by zero must be a finite number");
  }

  @Test
  void request_values_parse_from_text_or_say_what_was_expected() {
    assertThat(OnDemandPlan.parseRequestValue(FeatureType.FLOAT64, "19.99")).isEqualTo(19.99);
    assertThat(OnDemandPlan.parseRequestValue(FeatureType.FLOAT64, "1e3")).isEqualTo(1000.0);
    assertThat(OnDemandPlan.parseRequestValue(FeatureType.FLOAT64, "")).isNull();
    assertThat(OnDemandPlan.parseRequestValue(FeatureType.INT64, "-42")).isEqualTo(-42L);
    assertThat(OnDemandPlan.parseRequestValue(FeatureType.STRING, "")).isEqualTo("");
    assertThatThrownBy(() -> OnDemandPlan.parseRequestValue(FeatureType.FLOAT64, "NaN"))
        .hasMessage("expected a FLOAT64 (a number, e.g. 19.99), got 'NaN'");
    assertThatThrownBy(() -> OnDemandPlan.parseRequestValue(FeatureType.INT64, "4.5"))
        .hasMessage("expected an INT64 (whole number, e.g. 42), got '4.5'");
  }

  private static void check(OnDemandExpression e) {
    FeatureService s =
        FeatureService.named("svc").requestField("x", FeatureType.FLOAT64).onDemand("f", e).build();
    OnDemandPlan.of(s, r -> STORED.get(r.toString()));
  }

  private Env env() {
    Map<String, Object> stored = new HashMap<>();
    stored.put("v:a", maybe(() -> DOUBLES[random.nextInt(DOUBLES.length)]));
    stored.put("v:b", maybe(() -> LONGS[random.nextInt(LONGS.length)]));
    stored.put("v:s", maybe(() -> STRINGS[random.nextInt(STRINGS.length)]));
    stored.put("w:ts", maybe(() -> 1_700_000_000_000L + random.nextInt(10_000_000)));
    Map<String, Object> request = new HashMap<>();
    request.put("x", maybe(() -> DOUBLES[random.nextInt(DOUBLES.length)]));
    request.put("n", maybe(() -> LONGS[random.nextInt(LONGS.length)]));
    request.put("t", maybe(() -> STRINGS[random.nextInt(STRINGS.length)]));
    return new Env(stored, request, 1_700_000_000_000L + random.nextInt(20_000_000));
  }

  private Object maybe(java.util.function.Supplier<Object> value) {
    return random.nextInt(6) == 0 ? null : value.get();
  }

  // ---- the oracle: each generator returns an expression and what it means ----

  /** A number input as the rules read it: INT64 widened, non-finite as absent. */
  private static Double asNumber(Object v) {
    if (v == null) {
      return null;
    }
    double d = v instanceof Long l ? (double) l.longValue() : (Double) v;
    return Double.isNaN(d) || Double.isInfinite(d) ? null : d;
  }

  private static Double keep(double d) {
    return Double.isNaN(d) || Double.isInfinite(d) ? null : d;
  }

  private Gen num(int depth) {
    int choice = depth <= 0 ? random.nextInt(5) : random.nextInt(14);
    switch (choice) {
      case 0:
        return new Gen(feature("v:a"), e -> asNumber(e.stored().get("v:a")));
      case 1:
        return new Gen(feature("v:b"), e -> asNumber(e.stored().get("v:b")));
      case 2:
        return new Gen(field("x"), e -> asNumber(e.request().get("x")));
      case 3:
        return new Gen(field("n"), e -> asNumber(e.request().get("n")));
      case 4:
        {
          double c = new double[] {0, 1, -2, 0.5, 1e308}[random.nextInt(5)];
          return new Gen(number(c), e -> c);
        }
      case 5:
      case 6:
        {
          Gen a = num(depth - 1);
          Gen b = num(depth - 1);
          Expression.Op op = Expression.Op.values()[random.nextInt(4)];
          double whenZero = random.nextInt(3) - 1;
          OnDemandExpression expr =
              switch (op) {
                case ADD -> add(a.expr(), b.expr());
                case SUBTRACT -> OnDemandExpression.subtract(a.expr(), b.expr());
                case MULTIPLY -> OnDemandExpression.multiply(a.expr(), b.expr());
                case DIVIDE -> divide(a.expr(), b.expr(), whenZero);
              };
          return new Gen(
              expr,
              e -> {
                Double x = (Double) a.meaning().apply(e);
                Double y = (Double) b.meaning().apply(e);
                if (x == null || y == null) {
                  return null;
                }
                return switch (op) {
                  case ADD -> keep(x + y);
                  case SUBTRACT -> keep(x - y);
                  case MULTIPLY -> keep(x * y);
                  case DIVIDE -> y == 0.0 ? (Double) whenZero : keep(x / y);
                };
              });
        }
      case 7:
      case 8:
        {
          Gen a = num(depth - 1);
          Gen b = num(depth - 1);
          boolean min = choice == 7;
          return new Gen(
              min
                  ? OnDemandExpression.min(a.expr(), b.expr())
                  : OnDemandExpression.max(a.expr(), b.expr()),
              e -> {
                Double x = (Double) a.meaning().apply(e);
                Double y = (Double) b.meaning().apply(e);
                if (x == null || y == null) {
                  return null;
                }
                return min ? (x <= y ? x : y) : (x >= y ? x : y);
              });
        }
      case 9:
        {
          Gen a = num(depth - 1);
          return new Gen(
              abs(a.expr()),
              e -> {
                Double x = (Double) a.meaning().apply(e);
                return x == null ? null : (x < 0 ? -x : x);
              });
        }
      case 10:
        {
          Gen a = num(depth - 1);
          return new Gen(
              log(a.expr()),
              e -> {
                Double x = (Double) a.meaning().apply(e);
                return x == null || !(x > 0) ? null : keep(Math.log(x));
              });
        }
      case 11:
        {
          Gen a = num(depth - 1);
          Gen b = num(depth - 1);
          return new Gen(
              coalesce(a.expr(), b.expr()),
              e -> {
                Object x = a.meaning().apply(e);
                return x != null ? x : b.meaning().apply(e);
              });
        }
      case 12:
        return new Gen(
            secondsSince(feature("w:ts")),
            e -> {
              Long ts = (Long) e.stored().get("w:ts");
              return ts == null ? null : (double) (e.instant() - ts) / 1000;
            });
      default:
        return new Gen(
            secondsSince(field("n")),
            e -> {
              Long ts = (Long) e.request().get("n");
              if (ts == null) {
                return null;
              }
              java.math.BigInteger ms =
                  java.math.BigInteger.valueOf(e.instant())
                      .subtract(java.math.BigInteger.valueOf(ts));
              return ms.bitLength() > 63 ? null : ms.longValue() / 1000.0;
            });
    }
  }

  private Gen bool(int depth) {
    int choice = random.nextInt(depth <= 0 ? 2 : 4);
    String[] symbols = {"<", "<=", ">", ">=", "==", "!="};
    if (choice == 0) {
      Gen a = num(depth - 1);
      Gen b = num(depth - 1);
      String s = symbols[random.nextInt(6)];
      return new Gen(
          new OnDemandExpression.Comparison(
              OnDemandExpression.Comparator.ofSymbol(s), a.expr(), b.expr()),
          e -> {
            Double x = (Double) a.meaning().apply(e);
            Double y = (Double) b.meaning().apply(e);
            if (x == null || y == null) {
              return null;
            }
            return switch (s) {
              case "<" -> x < y;
              case "<=" -> x <= y;
              case ">" -> x > y;
              case ">=" -> x >= y;
              case "==" -> x.doubleValue() == y.doubleValue();
              default -> x.doubleValue() != y.doubleValue();
            };
          });
    }
    if (choice == 1) {
      Gen a = str(depth - 1);
      Gen b = str(depth - 1);
      boolean eq = random.nextBoolean();
      return new Gen(
          eq
              ? OnDemandExpression.equal(a.expr(), b.expr())
              : OnDemandExpression.notEqual(a.expr(), b.expr()),
          e -> {
            Object x = a.meaning().apply(e);
            Object y = b.meaning().apply(e);
            return x == null || y == null ? null : (x.equals(y) == eq);
          });
    }
    if (choice == 2) {
      Gen a = bool(depth - 1);
      Gen b = bool(depth - 1);
      return new Gen(
          OnDemandExpression.equal(a.expr(), b.expr()),
          e -> {
            Object x = a.meaning().apply(e);
            Object y = b.meaning().apply(e);
            return x == null || y == null ? null : x.equals(y);
          });
    }
    Gen a = bool(depth - 1);
    Gen b = bool(depth - 1);
    return new Gen(
        coalesce(a.expr(), b.expr()),
        e -> {
          Object x = a.meaning().apply(e);
          return x != null ? x : b.meaning().apply(e);
        });
  }

  private Gen str(int depth) {
    int choice = random.nextInt(depth <= 0 ? 3 : 4);
    if (choice == 0) {
      return new Gen(feature("v:s"), e -> e.stored().get("v:s"));
    }
    if (choice == 1) {
      return new Gen(field("t"), e -> e.request().get("t"));
    }
    if (choice == 2) {
      String c = STRINGS[random.nextInt(STRINGS.length)];
      return new Gen(text(c), e -> c);
    }
    Gen a = str(depth - 1);
    Gen b = str(depth - 1);
    return new Gen(
        coalesce(a.expr(), b.expr()),
        e -> {
          Object x = a.meaning().apply(e);
          return x != null ? x : b.meaning().apply(e);
        });
  }

  /** The documented text form, written independently. */
  private static String oracleText(Object v) {
    if (v == null) {
      return null;
    }
    if (v instanceof Boolean b) {
      return b.toString();
    }
    if (v instanceof String s) {
      return s;
    }
    double d = (Double) v;
    if (Math.floor(d) == d && -1e15 < d && d < 1e15) {
      return new java.math.BigDecimal(d).toBigInteger().toString();
    }
    String java = String.valueOf(d);
    boolean plain = (d >= 1e-3 && d < 1e15) || (d <= -1e-3 && d > -1e15);
    if (!plain) {
      return java;
    }
    // The same digits, the exponent moved into place.
    int e = java.indexOf('E');
    if (e < 0) {
      return java;
    }
    return new java.math.BigDecimal(java.substring(0, e))
        .movePointRight(Integer.parseInt(java.substring(e + 1)))
        .toPlainString();
  }
}
