package io.litevault.schedule;

/**
 * A cron expression that {@link CronExpression#parse(String)} refused. The message names the expression
 * (control characters escaped), says what was wrong and shows the accepted syntax
 * ({@link CronExpression#SYNTAX}).
 */
public final class InvalidCronExpressionException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String expression;

  InvalidCronExpressionException(String expression, String reason, Throwable cause) {
    super("invalid cron expression '" + io.litevault.store.Names.printable(expression) + "': " + reason
        + " (use " + CronExpression.SYNTAX + ")", cause);
    this.expression = expression;
  }

  /** The expression as it was given (may be null). */
  public String expression() {
    return expression;
  }
}
