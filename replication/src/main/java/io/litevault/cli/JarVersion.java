package io.litevault.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Optional;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code --version} of every command: {@code <command name> <Implementation-Version>} from the manifest of
 * the jar the command's class was loaded from, or {@code (development build)} when it runs from classes
 * (an IDE, a test) or the manifest has no version.
 */
public final class JarVersion implements CommandLine.IVersionProvider {
  /** What {@code --version} says without a packaged version. */
  public static final String DEVELOPMENT = "(development build)";

  @CommandLine.Spec
  CommandSpec spec;

  @Override
  public String[] getVersion() {
    Class<?> command = spec.userObject() == null ? JarVersion.class : spec.userObject().getClass();
    return new String[] {spec.name() + " " + of(command).orElse(DEVELOPMENT)};
  }

  /** The Implementation-Version of the jar {@code type} was loaded from, if it is a jar that has one. */
  public static Optional<String> of(Class<?> type) {
    CodeSource source = type.getProtectionDomain().getCodeSource();
    return source == null ? Optional.empty() : of(source.getLocation());
  }

  /** The Implementation-Version in the manifest of the jar at {@code location}; empty for a directory. */
  static Optional<String> of(URL location) {
    if (location == null) {
      return Optional.empty();
    }
    try {
      Path path = Path.of(location.toURI());
      if (!Files.isRegularFile(path)) {
        return Optional.empty();
      }
      try (JarFile jar = new JarFile(path.toFile())) {
        Manifest m = jar.getManifest();
        String v = m == null ? null : m.getMainAttributes().getValue("Implementation-Version");
        return Optional.ofNullable(v).map(String::strip).filter(s -> !s.isEmpty());
      }
    } catch (IOException | URISyntaxException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
