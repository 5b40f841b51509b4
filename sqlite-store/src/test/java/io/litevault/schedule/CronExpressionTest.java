package io.litevault.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CronExpressionTest {
  private static final List<ZoneId> ZONES = List.of(ZoneId.of("UTC"), ZoneId.of("Europe/Paris"), ZoneId.of("America/New_York"));
  /** 2000-01-01 to 2040-01-01: DST changes, leap years, month ends. */
  private static final long FROM = Instant.parse("2000-01-01T00:00:00Z").getEpochSecond();
  private static final long TO = Instant.parse("2040-01-01T00:00:00Z").getEpochSecond();

  @ParameterizedTest
  @CsvSource({
      "@yearly,   0 0 1 1 *", "@annually, 0 0 1 1 *", "@monthly, 0 0 1 * *", "@weekly, 0 0 * * 0",
      "@daily,    0 0 * * *", "@midnight, 0 0 * * *", "@hourly,  0 * * * *",
      "@DAILY,    0 0 * * *", "' @Hourly ', 0 * * * *"})
  void nicknamesFireExactlyWhenTheirFiveFieldsDo(String nickname, String fields) {
    CronExpression n = CronExpression.parse(nickname);
    CronExpression f = CronExpression.parse(fields);
    assertEquals(fields, n.fields());
    assertEquals(nickname.trim(), n.expression());
    qt().withExamples(200).forAll(longs().between(FROM, TO), integers().between(0, ZONES.size() - 1)).checkAssert((s, z) -> {
      ZonedDateTime t = Instant.ofEpochSecond(s).atZone(ZONES.get(z));
      assertEquals(f.nextAfter(t), n.nextAfter(t), nickname + " after " + t);
      assertEquals(f.lastAtOrBefore(t), n.lastAtOrBefore(t), nickname + " at or before " + t);
    });
  }

  /** The old TTL (nextAfter) and backup (lastAtOrBefore) code: cron-utils' UNIX definition directly. */
  @Test
  void plainExpressionsBehaveAsTheOldParsersDid() {
    CronParser old = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    qt().withExamples(500).forAll(longs().all(), longs().between(FROM, TO), integers().between(0, ZONES.size() - 1))
        .checkAssert((seed, s, z) -> {
          String expression = randomExpression(new Random(seed));
          ExecutionTime oldTime = ExecutionTime.forCron(old.parse(expression).validate());
          CronExpression cron = CronExpression.parse(expression);
          ZonedDateTime t = Instant.ofEpochSecond(s, s % 1000 * 1_000_000).atZone(ZONES.get(z));
          assertEquals(oldTime.nextExecution(t), cron.nextAfter(t), expression + " after " + t);
          assertEquals(oldTime.lastExecution(t.withNano(0).plusSeconds(1)), cron.lastAtOrBefore(t),
              expression + " at or before " + t);
          assertEquals(oldTime.nextExecution(t).map(ZonedDateTime::toInstant), cron.nextAfter(t.toInstant(), t.getZone()));
        });
  }

  @Test
  void aFireTimeIsItsOwnLastAndNotItsNext() {
    CronExpression daily = CronExpression.parse("0 2 * * *");
    ZonedDateTime fire = ZonedDateTime.parse("2026-11-23T02:00Z");
    assertEquals(Optional.of(fire), daily.lastAtOrBefore(fire));
    assertEquals(Optional.of(fire.plusDays(1)), daily.nextAfter(fire));
    assertEquals(Optional.of(fire.minusDays(1)), daily.lastAtOrBefore(fire.minusNanos(1)));
  }

  @Test
  void fireTimesAreReadInTheGivenZone() {
    CronExpression midnight = CronExpression.parse("@midnight");
    Instant t = Instant.parse("2026-11-23T01:30:00Z");
    assertEquals(Optional.of(Instant.parse("2026-11-24T00:00:00Z")), midnight.nextAfter(t, ZoneId.of("UTC")));
    assertEquals(Optional.of(Instant.parse("2026-11-23T23:00:00Z")), midnight.nextAfter(t, ZoneId.of("Europe/Paris")));
    assertEquals(Optional.of(Instant.parse("2026-11-22T23:00:00Z")), midnight.lastAtOrBefore(t, ZoneId.of("Europe/Paris")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0 25 * * *", "61 * * * *", "every day", "* * * *", "0 0 * * * *", "@reboot", "@dayly", "",
      "   ", "0 0 32 * *", "0 0 * 13 *", "x\u0000y"})
  void badExpressionsAreRefusedNamingThemAndShowingTheSyntax(String bad) {
    InvalidCronExpressionException e = assertThrows(InvalidCronExpressionException.class, () -> CronExpression.parse(bad));
    String printable = bad.replace("\u0000", "\\u0000");
    assertTrue(e.getMessage().startsWith("invalid cron expression '" + printable + "': "), e.getMessage());
    assertTrue(e.getMessage().endsWith("(use " + CronExpression.SYNTAX + ")"), e.getMessage());
    assertEquals(bad, e.expression());
  }

  @Test
  void nullIsRefusedLikeAnyBadExpression() {
    InvalidCronExpressionException e = assertThrows(InvalidCronExpressionException.class, () -> CronExpression.parse(null));
    assertTrue(e.getMessage().startsWith("invalid cron expression 'null': "), e.getMessage());
  }

  @Test
  void equalityIsByExpression() {
    assertEquals(CronExpression.parse(" 0 2 * * * "), CronExpression.parse("0 2 * * *"));
    assertEquals("0 2 * * *", CronExpression.parse(" 0 2 * * * ").toString());
  }

  private static String randomExpression(Random r) {
    return field(r, 0, 59) + " " + field(r, 0, 23) + " " + field(r, 1, 28) + " " + field(r, 1, 12) + " " + field(r, 0, 6);
  }

  /** One field in one of crontab's forms: *, n, a-b, * /k, a,b or a-b/k. */
  private static String field(Random r, int min, int max) {
    int a = min + r.nextInt(max - min + 1);
    int b = a + r.nextInt(max - a + 1);
    switch (r.nextInt(6)) {
      case 0: return "*";
      case 1: return Integer.toString(a);
      case 2: return a + "-" + b;
      case 3: return "*/" + (1 + r.nextInt(Math.max(1, (max - min) / 2)));
      case 4: return a == b ? Integer.toString(a) : a + "," + b;
      default: return a + "-" + b + "/" + (1 + r.nextInt(3));
    }
  }
}
