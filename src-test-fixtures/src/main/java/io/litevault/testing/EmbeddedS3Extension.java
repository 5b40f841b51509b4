package io.litevault.testing;

import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts one {@link EmbeddedS3} per test class (before all tests, stopped after all), so a class's tests
 * share one server and pay its start-up once. Register it as a static field:
 *
 * <pre>{@code
 * @RegisterExtension static final EmbeddedS3Extension S3 = new EmbeddedS3Extension();
 * ... S3.server().endpoint() ...
 * }</pre>
 *
 * or with {@code @ExtendWith(EmbeddedS3Extension.class)} and an {@link EmbeddedS3} parameter on a test or
 * lifecycle method. Tests sharing a server should use distinct key prefixes.
 */
public final class EmbeddedS3Extension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
  private final Supplier<EmbeddedS3> factory;
  private EmbeddedS3 server;

  /** An in-memory server with the default bucket. */
  public EmbeddedS3Extension() {
    this(EmbeddedS3::start);
  }

  /** A server made by {@code factory}, for example {@code () -> EmbeddedS3.builder().filesystem(dir).start()}. */
  public EmbeddedS3Extension(Supplier<EmbeddedS3> factory) {
    this.factory = factory;
  }

  /** The running server. */
  public EmbeddedS3 server() {
    if (server == null) {
      throw new IllegalStateException("EmbeddedS3 is not started: register the extension on a static field");
    }
    return server;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    if (server == null) {
      server = factory.get();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    return p.getParameter().getType() == EmbeddedS3.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    return server();
  }
}
