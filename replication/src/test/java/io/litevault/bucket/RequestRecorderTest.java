package io.litevault.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Backends count through a recorder; what {@link ObjectStore#metrics()} hands a user only reads. */
class RequestRecorderTest {
  @Test
  void theViewSeesEveryCountLive() {
    RequestRecorder r = new RequestRecorder();
    ObjectStoreMetrics view = r.view();
    r.request(Operation.PUT, false);
    r.request(Operation.PUT, true);
    r.error(Operation.PUT);
    r.sent(Operation.PUT, 100);
    r.received(Operation.GET, 7);
    assertEquals(new OperationStats(2, 1, 1, 100, 0), view.of(Operation.PUT));
    assertEquals(7, view.of(Operation.GET).bytesReceived());
    assertEquals(2, view.totalRequests());
    assertEquals(1, view.totalErrors());
  }

  @Test
  void aUserCannotChangeACount() {
    Set<String> methods = Arrays.stream(ObjectStoreMetrics.class.getMethods()).map(Method::getName).collect(Collectors.toSet());
    for (String mutator : Set.of("request", "error", "sent", "received")) {
      assertTrue(!methods.contains(mutator), mutator + " is public on ObjectStoreMetrics");
    }
    assertTrue(Arrays.stream(ObjectStoreMetrics.class.getConstructors()).noneMatch(c -> Modifier.isPublic(c.getModifiers())));
  }
}
