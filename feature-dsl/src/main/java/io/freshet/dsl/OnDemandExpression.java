package io.freshet.dsl;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A typed expression of an on-demand feature, over the request fields and stored features of a
 * {@link FeatureService}, evaluated after the lookup at the request instant (the gateway's clock,
 * or a training label's timestamp) by {@code io.freshet.plan.OnDemandPlan}, the one evaluator of
 * the gateway and of training sets.
 *
 * <p>Values are numbers (64-bit floats; INT64 inputs are converted), booleans and strings. The
 * rules, the same everywhere:
 *
 * <ul>
 *   <li>A null input makes the result null, except in {@link #coalesce}, which gives its default. A
 *       FLOAT64 input that is NaN or infinite counts as null; a result that is not a finite number
 *       is null.
 *   <li>{@link #divide} names the value of a division by 0; the arithmetic is that of derived
 *       features ({@link Expression.Op#apply}).
 *   <li>{@link #log} of a value {@code <= 0} is null: wrap it in {@link #coalesce} to name a value.
 *   <li>{@link #secondsSince} of an INT64 timestamp (epoch milliseconds, as Freshet carries
 *       timestamps) is {@code (instant - timestamp) / 1000} in seconds, with fractions; negative
 *       when the timestamp is after the instant.
 * </ul>
 */
public sealed interface OnDemandExpression extends Serializable
    permits OnDemandExpression.StoredFeature,
        OnDemandExpression.RequestField,
        OnDemandExpression.NumberLiteral,
        OnDemandExpression.TextLiteral,
        OnDemandExpression.Arithmetic,
        OnDemandExpression.Comparison,
        OnDemandExpression.Call {

  /** A stored feature, {@code view:feature}, fetched for the service even if it is no output. */
  static OnDemandExpression feature(String ref) {
    return new StoredFeature(FeatureService.FeatureRef.parse(ref));
  }

  /** A request field of the service, by name. */
  static OnDemandExpression field(String name) {
    return new RequestField(name);
  }

  /** A number. */
  static OnDemandExpression number(double value) {
    return new NumberLiteral(value);
  }

  /** A string. */
  static OnDemandExpression text(String value) {
    return new TextLiteral(value);
  }

  /** {@code a + b}. */
  static OnDemandExpression add(OnDemandExpression a, OnDemandExpression b) {
    return new Arithmetic(Expression.Op.ADD, a, b, 0);
  }

  /** {@code a - b}. */
  static OnDemandExpression subtract(OnDemandExpression a, OnDemandExpression b) {
    return new Arithmetic(Expression.Op.SUBTRACT, a, b, 0);
  }

  /** {@code a * b}. */
  static OnDemandExpression multiply(OnDemandExpression a, OnDemandExpression b) {
    return new Arithmetic(Expression.Op.MULTIPLY, a, b, 0);
  }

  /** {@code a / b}, or {@code whenZero} when {@code b} is 0. */
  static OnDemandExpression divide(OnDemandExpression a, OnDemandExpression b, double whenZero) {
    return new Arithmetic(Expression.Op.DIVIDE, a, b, whenZero);
  }

  /** {@code a < b}. */
  static OnDemandExpression lessThan(OnDemandExpression a, OnDemandExpression b) {
    return new Comparison(Comparator.LT, a, b);
  }

  /** {@code a <= b}. */
  static OnDemandExpression atMost(OnDemandExpression a, OnDemandExpression b) {
    return new Comparison(Comparator.LE, a, b);
  }

  /** {@code a > b}. */
  static OnDemandExpression greaterThan(OnDemandExpression a, OnDemandExpression b) {
    return new Comparison(Comparator.GT, a, b);
  }

  /** {@code a >= b}. */
  static OnDemandExpression atLeast(OnDemandExpression a, OnDemandExpression b) {
    return new Comparison(Comparator.GE, a, b);
  }

  /** {@code a == b}: numbers, strings or booleans, both of one type. */
  static OnDemandExpression equal(OnDemandExpression a, OnDemandExpression b) {
    return new Comparison(Comparator.EQ, a, b);
  }

  /** {@code a != b}: numbers, strings or booleans, both of one type. */
  static OnDemandExpression notEqual(OnDemandExpression a, OnDemandExpression b) {
    return new Comparison(Comparator.NE, a, b);
  }

  /** The smaller of two numbers. */
  static OnDemandExpression min(OnDemandExpression a, OnDemandExpression b) {
    return new Call(Function.MIN, Arrays.asList(a, b));
  }

  /** The greater of two numbers. */
  static OnDemandExpression max(OnDemandExpression a, OnDemandExpression b) {
    return new Call(Function.MAX, Arrays.asList(a, b));
  }

  /** The absolute value of a number. */
  static OnDemandExpression abs(OnDemandExpression a) {
    return new Call(Function.ABS, Arrays.asList(a));
  }

  /** The natural logarithm; null for a value {@code <= 0}. */
  static OnDemandExpression log(OnDemandExpression a) {
    return new Call(Function.LOG, Arrays.asList(a));
  }

  /** {@code value}, or {@code whenNull} when it is null; both of one type. */
  static OnDemandExpression coalesce(OnDemandExpression value, OnDemandExpression whenNull) {
    return new Call(Function.COALESCE, Arrays.asList(value, whenNull));
  }

  /**
   * Seconds from an INT64 epoch-millisecond timestamp (feature or request field) to the instant.
   */
  static OnDemandExpression secondsSince(OnDemandExpression timestamp) {
    return new Call(Function.SECONDS_SINCE, Arrays.asList(timestamp));
  }

  /** A canonical text form. */
  String describe();

  /** A comparison operator. */
  enum Comparator {
    LT("<"),
    LE("<="),
    GT(">"),
    GE(">="),
    EQ("=="),
    NE("!=");

    private final String symbol;

    Comparator(String symbol) {
      this.symbol = symbol;
    }

    public String symbol() {
      return symbol;
    }

    /** The comparator written {@code symbol}, or null. */
    public static Comparator ofSymbol(String symbol) {
      for (Comparator c : values()) {
        if (c.symbol.equals(symbol)) {
          return c;
        }
      }
      return null;
    }
  }

  /** A function and its number of arguments. */
  enum Function {
    MIN("min", 2),
    MAX("max", 2),
    ABS("abs", 1),
    LOG("log", 1),
    COALESCE("coalesce", 2),
    SECONDS_SINCE("seconds_since", 1);

    private final String text;
    private final int arity;

    Function(String text, int arity) {
      this.text = text;
      this.arity = arity;
    }

    public String text() {
      return text;
    }

    public int arity() {
      return arity;
    }

    /** The function written {@code text}, or null. */
    public static Function ofText(String text) {
      for (Function f : values()) {
        if (f.text.equals(text)) {
          return f;
        }
      }
      return null;
    }
  }

  /** A stored feature. */
  record StoredFeature(FeatureService.FeatureRef ref) implements OnDemandExpression {
    public StoredFeature {
      Objects.requireNonNull(ref, "ref");
    }

    @Override
    public String describe() {
      return ref.toString();
    }
  }

  /** A request field. */
  record RequestField(String name) implements OnDemandExpression {
    public RequestField {
      Names.checkIdentifier("request field", name);
    }

    @Override
    public String describe() {
      return name;
    }
  }

  /** A finite number. */
  record NumberLiteral(double value) implements OnDemandExpression {
    public NumberLiteral {
      if (!Double.isFinite(value)) {
        throw new DefinitionException("constant " + value + " is not a finite number");
      }
    }

    @Override
    public String describe() {
      return Double.toString(value);
    }
  }

  /** A string. */
  record TextLiteral(String value) implements OnDemandExpression {
    public TextLiteral {
      if (value == null) {
        throw new DefinitionException("a text constant needs a value (got null)");
      }
    }

    @Override
    public String describe() {
      return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
  }

  /** {@code left op right}; {@code whenZero} is the result of a division by 0. */
  record Arithmetic(
      Expression.Op op, OnDemandExpression left, OnDemandExpression right, double whenZero)
      implements OnDemandExpression {
    public Arithmetic {
      if (op == null || left == null || right == null) {
        throw new DefinitionException("arithmetic needs an operator and two operands");
      }
      if (!Double.isFinite(whenZero)) {
        throw new DefinitionException(
            "the value for division by zero must be a finite number, got " + whenZero);
      }
      if (op != Expression.Op.DIVIDE) {
        whenZero = 0;
      }
    }

    @Override
    public String describe() {
      String s = "(" + left.describe() + " " + op.symbol() + " " + right.describe() + ")";
      return op == Expression.Op.DIVIDE ? s + "[/0=" + whenZero + "]" : s;
    }
  }

  /** {@code left comparator right}, a boolean. */
  record Comparison(Comparator comparator, OnDemandExpression left, OnDemandExpression right)
      implements OnDemandExpression {
    public Comparison {
      if (comparator == null || left == null || right == null) {
        throw new DefinitionException("a comparison needs an operator and two operands");
      }
    }

    @Override
    public String describe() {
      return "(" + left.describe() + " " + comparator.symbol() + " " + right.describe() + ")";
    }
  }

  /** A function call. */
  record Call(Function function, List<OnDemandExpression> args) implements OnDemandExpression {
    public Call {
      if (function == null || args == null || args.stream().anyMatch(Objects::isNull)) {
        throw new DefinitionException("a function call needs a function and its arguments");
      }
      args = List.copyOf(args);
      if (args.size() != function.arity()) {
        throw new DefinitionException(
            function.text() + " takes " + function.arity() + " argument(s), got " + args.size());
      }
    }

    @Override
    public String describe() {
      StringBuilder s = new StringBuilder(function.text()).append('(');
      for (int i = 0; i < args.size(); i++) {
        s.append(i == 0 ? "" : ", ").append(args.get(i).describe());
      }
      return s.append(')').toString();
    }
  }
}
