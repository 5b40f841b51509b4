package io.litevault.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The odd names, per kind: each refused with a message naming the value and the rule. */
class NamesTest {
  private static final String LONG_65 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  private static final String LONG_129 = "a".repeat(129);

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", ".", "..", "../x", "a/b", "a\\b", "C:x", ".hidden", "1abc", "_x", "-x", "a b", "data.db",
      "x\u0000y", "x\ny", "donn\u00e9es", "\u0430bc" /* Cyrillic a */, "\uff44ata" /* full-width d */, "a\u200bb",
      "averyveryveryveryveryveryveryveryveryveryveryveryveryverylongname1"})
  void oddDatabaseNames(String name) {
    refused(Names.Kind.DATABASE_NAME, "invalid database name '", () -> Names.requireDatabaseName(name), name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "data", "Data-2_x", "a123456789012345678901234567890123456789012345678901234567890123"})
  void plainDatabaseNames(String name) {
    assertEquals(name, Names.requireDatabaseName(name));
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", "1a", "a-b", "a.b", "a b", "a\"b", "a;DROP TABLE t", "x\u0000", "t\u00e9", "\u0430",
      "..", "a/b", "`a`", "[a]"})
  void oddIdentifiers(String name) {
    refused(Names.Kind.SQL_IDENTIFIER, "invalid table name '", () -> Names.requireIdentifier("table name", name), name);
  }

  @Test
  void identifiersUpTo128CharactersAndKeywordsAreFineBecauseTheyAreQuoted() {
    assertEquals("a".repeat(128), Names.requireIdentifier("t", "a".repeat(128)));
    refused(Names.Kind.SQL_IDENTIFIER, "invalid t '", () -> Names.requireIdentifier("t", LONG_129), LONG_129);
    for (String keyword : new String[] {"select", "TABLE", "key", "_", "_rowid_"}) {
      assertEquals(keyword, Names.requireIdentifier("column name", keyword));
    }
    assertEquals("\"select\"", Names.quoteIdentifier("select"));
    assertEquals("\"a\"\"b\"", Names.quoteIdentifier("a\"b"));
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", ".", "..", "a/b", "/", "a b", "a\\b", "x\u0000", "t\u00e9", "a:b", "a*", LONG_65})
  void oddSegments(String name) {
    refused(Names.Kind.PREFIX_SEGMENT, "invalid tier name '", () -> Names.requireSegment("tier name", name), name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"daily", "1-week", ".hidden", "..x", "a.b_c-d", "_litevault"})
  void plainSegments(String name) {
    assertEquals(name, Names.requireSegment("tier name", name));
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", "/", "/a", "a/", "a//b", "a/./b", "a/../b", "..", "a b/c", "a/\u00e9", "a/x\u0000",
      "a/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"})
  void oddPrefixes(String prefix) {
    refused(Names.Kind.PREFIX, "invalid replica prefix '", () -> Names.requirePrefix("replica prefix", prefix), prefix);
  }

  @Test
  void prefixesAreBoundedAsAWhole() {
    String ok = ("b".repeat(63) + "/").repeat(8).substring(0, 511);
    assertEquals(ok, Names.requirePrefix("p", ok));
    String tooLong = ok + "bb";
    refused(Names.Kind.PREFIX, "at most 512 characters", () -> Names.requirePrefix("p", tooLong), tooLong);
    assertEquals("litevault/data", Names.requirePrefix("p", "litevault/data"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"backups", "/x/", "a//", "../", "a/../", "a b/", "\u00e9/", "/"})
  void oddKeyPrefixes(String prefix) {
    refused(Names.Kind.PREFIX, "must be empty or end with '/'", () -> Names.requireKeyPrefix("target prefix", prefix), prefix);
  }

  @Test
  void keyPrefixesAreEmptyOrAPrefixAndASlash() {
    assertEquals("", Names.requireKeyPrefix("p", ""));
    assertEquals("backups/", Names.requireKeyPrefix("p", "backups/"));
    assertEquals("a/b.c/", Names.requireKeyPrefix("p", "a/b.c/"));
  }

  @Test
  void messagesEscapeControlCharactersAndCutLongValues() {
    InvalidNameException e = assertThrows(InvalidNameException.class, () -> Names.requireDatabaseName("x\u0000y"));
    assertTrue(e.getMessage().startsWith("invalid database name 'x\\u0000y': use 1 to 64 ASCII letters"), e.getMessage());
    e = assertThrows(InvalidNameException.class, () -> Names.requireDatabaseName("z".repeat(1000)));
    assertTrue(e.getMessage().contains("z".repeat(80) + "…'"), e.getMessage());
  }

  private static void refused(Names.Kind kind, String expected, org.junit.jupiter.api.function.Executable call, String value) {
    InvalidNameException e = assertThrows(InvalidNameException.class, call);
    assertEquals(kind, e.kind());
    assertEquals(value, e.value());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
