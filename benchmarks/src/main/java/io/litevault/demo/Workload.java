package io.litevault.demo;

import io.litevault.store.WriteTask;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A blog/community site's traffic: posts (replicated before they are acknowledged), comments, page-view
 * counters and sessions, with up to ten reads per write alongside the writes (mostly cached post reads,
 * some comment listings).
 */
final class Workload {
  static final String POST = "CREATE TABLE post(id INTEGER PRIMARY KEY, author TEXT NOT NULL, title TEXT NOT NULL, "
      + "body TEXT NOT NULL, created INTEGER NOT NULL)";
  static final String COMMENT = "CREATE TABLE comment(id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL, "
      + "author TEXT NOT NULL, body TEXT NOT NULL, created INTEGER NOT NULL)";
  static final String COMMENT_INDEX = "CREATE INDEX comment_post ON comment(post_id, id)";
  static final String VIEWS = "CREATE TABLE post_views(post_id INTEGER PRIMARY KEY, views INTEGER NOT NULL)";

  /** What one write does. */
  enum Kind { POST, COMMENT, VIEW, SESSION }

  private static final String[] WORDS = ("the a of to and in is it you that he was for on are with as his they be at "
      + "one have this from or had by hot word but what some we can out other were all there when up use your how "
      + "said an each she which do their time if will way about many then them write would like so these her long "
      + "make thing see him two has look more day could go come did number sound no most people my over know water "
      + "than call first who may down side been now find any new work part take get place made live where after "
      + "back little only round man year came show every good me give our under name very through just form "
      + "sqlite replica bucket restore lineage segment snapshot checkpoint writer reader cache").split(" ");
  private static final String[] AUTHORS = new String[500];

  static {
    for (int i = 0; i < AUTHORS.length; i++) {
      AUTHORS[i] = "user" + i;
    }
  }

  private Workload() {}

  /** 5% posts, 25% comments, 55% page views, 15% sessions. */
  static Kind pick(ThreadLocalRandom rnd) {
    int p = rnd.nextInt(100);
    return p < 5 ? Kind.POST : p < 30 ? Kind.COMMENT : p < 85 ? Kind.VIEW : Kind.SESSION;
  }

  static String text(ThreadLocalRandom rnd, int minWords, int maxWords) {
    int n = rnd.nextInt(minWords, maxWords + 1);
    StringBuilder sb = new StringBuilder(n * 6);
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(WORDS[rnd.nextInt(WORDS.length)]);
    }
    return sb.toString();
  }

  static WriteTask<Long> post(ThreadLocalRandom rnd) {
    String author = AUTHORS[rnd.nextInt(AUTHORS.length)];
    String title = text(rnd, 3, 8);
    String body = text(rnd, 40, 200);
    long now = System.currentTimeMillis();
    return c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO post(author, title, body, created) VALUES (?, ?, ?, ?) RETURNING id")) {
        ps.setString(1, author);
        ps.setString(2, title);
        ps.setString(3, body);
        ps.setLong(4, now);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    };
  }

  static WriteTask<Integer> comment(ThreadLocalRandom rnd, long maxPost) {
    long post = 1 + rnd.nextLong(Math.max(1, maxPost));
    String author = AUTHORS[rnd.nextInt(AUTHORS.length)];
    String body = text(rnd, 5, 40);
    long now = System.currentTimeMillis();
    return c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO comment(post_id, author, body, created) VALUES (?, ?, ?, ?)")) {
        ps.setLong(1, post);
        ps.setString(2, author);
        ps.setString(3, body);
        ps.setLong(4, now);
        return ps.executeUpdate();
      }
    };
  }

  static WriteTask<Integer> view(ThreadLocalRandom rnd, long maxPost) {
    long post = hot(rnd, maxPost);
    return c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO post_views(post_id, views) VALUES (?, 1) "
          + "ON CONFLICT(post_id) DO UPDATE SET views = views + 1")) {
        ps.setLong(1, post);
        return ps.executeUpdate();
      }
    };
  }

  /** A post id skewed to recent posts (most traffic goes to what is new). */
  static long hot(ThreadLocalRandom rnd, long maxPost) {
    long max = Math.max(1, maxPost);
    long recent = Math.min(max, 1000);
    return rnd.nextInt(10) < 8 ? max - rnd.nextLong(recent) : 1 + rnd.nextLong(max);
  }
}
