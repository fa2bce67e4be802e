package io.freshet.dsl;

import java.io.Serializable;
import java.util.Set;
import java.util.function.Function;

/**
 * Arithmetic over other features of the same view, evaluated when a window fires.
 *
 * <p>{@code ratio(ref("purchase_count_1h"), ref("event_count_1h"), 0)} is the conversion rate, 0
 * when there were no events. Division names the value it takes when the divisor is 0; a reference
 * to a feature whose value is null (such as the minimum of an empty window) makes the result null.
 */
public sealed interface Expression extends Serializable
    permits Expression.Ref, Expression.Constant, Expression.Binary {

  /** The value of another feature of the view (an aggregated or an earlier derived one). */
  static Expression ref(String feature) {
    return new Ref(feature);
  }

  /** A constant. */
  static Expression constant(double value) {
    return new Constant(value);
  }

  /** {@code numerator / denominator}, or {@code whenZero} when the denominator is 0. */
  static Expression ratio(Expression numerator, Expression denominator, double whenZero) {
    return new Binary(Op.DIVIDE, numerator, denominator, whenZero);
  }

  /** {@code a + b}. */
  static Expression add(Expression a, Expression b) {
    return new Binary(Op.ADD, a, b, 0);
  }

  /** {@code a - b}. */
  static Expression subtract(Expression a, Expression b) {
    return new Binary(Op.SUBTRACT, a, b, 0);
  }

  /** {@code a * b}. */
  static Expression multiply(Expression a, Expression b) {
    return new Binary(Op.MULTIPLY, a, b, 0);
  }

  /** Evaluates with the given values of referenced features (null when a value is null). */
  Double evaluate(Function<String, Double> values);

  /** Adds the names of referenced features to {@code into}. */
  void references(Set<String> into);

  /** A canonical text form. */
  String describe();

  /** An arithmetic operator. */
  enum Op {
    ADD("+"),
    SUBTRACT("-"),
    MULTIPLY("*"),
    DIVIDE("/");

    private final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }

    public String symbol() {
      return symbol;
    }

    /**
     * {@code a op b}, {@code whenZero} for a division by 0, and null when the result is not a
     * finite number. The one arithmetic of derived and on-demand features.
     */
    public Double apply(double a, double b, double whenZero) {
      double r =
          switch (this) {
            case ADD -> a + b;
            case SUBTRACT -> a - b;
            case MULTIPLY -> a * b;
            case DIVIDE -> b == 0 ? whenZero : a / b;
          };
      return Double.isFinite(r) ? r : null;
    }
  }

  /** A reference to another feature. */
  record Ref(String feature) implements Expression {
    public Ref {
      Names.checkIdentifier("referenced feature", feature);
    }

    @Override
    public Double evaluate(Function<String, Double> values) {
      return values.apply(feature);
    }

    @Override
    public void references(Set<String> into) {
      into.add(feature);
    }

    @Override
    public String describe() {
      return feature;
    }
  }

  /** A constant. */
  record Constant(double value) implements Expression {
    public Constant {
      if (!Double.isFinite(value)) {
        throw new DefinitionException("constant " + value + " is not a finite number");
      }
    }

    @Override
    public Double evaluate(Function<String, Double> values) {
      return value;
    }

    @Override
    public void references(Set<String> into) {}

    @Override
    public String describe() {
      return Double.toString(value);
    }
  }

  /** A binary operation; {@code whenZero} is the result of a division by 0 (ignored otherwise). */
  record Binary(Op op, Expression left, Expression right, double whenZero) implements Expression {
    public Binary {
      if (op == null || left == null || right == null) {
        throw new DefinitionException("arithmetic needs an operator and two operands");
      }
      if (!Double.isFinite(whenZero)) {
        throw new DefinitionException(
            "the value for division by zero must be a finite number, got " + whenZero);
      }
      if (op != Op.DIVIDE) {
        whenZero = 0;
      }
    }

    @Override
    public Double evaluate(Function<String, Double> values) {
      Double a = left.evaluate(values);
      Double b = right.evaluate(values);
      if (a == null || b == null) {
        return null;
      }
      return op.apply(a, b, whenZero);
    }

    @Override
    public void references(Set<String> into) {
      left.references(into);
      right.references(into);
    }

    @Override
    public String describe() {
      String s = "(" + left.describe() + " " + op.symbol() + " " + right.describe() + ")";
      return op == Op.DIVIDE ? s + "[/0=" + whenZero + "]" : s;
    }
  }
}
