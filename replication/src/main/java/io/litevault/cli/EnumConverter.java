package io.litevault.cli;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine;

/**
 * A case-insensitive converter for an enum option ({@code --client MINIO} = {@code --client minio}), so a
 * command parses the same under {@link Cli#commandLine} and when embedded in another picocli program. A
 * subclass per enum gives picocli its no-argument constructor.
 */
public abstract class EnumConverter<E extends Enum<E>> implements CommandLine.ITypeConverter<E> {
  private final Class<E> type;

  protected EnumConverter(Class<E> type) {
    this.type = type;
  }

  @Override
  public E convert(String value) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(value)) {
        return e;
      }
    }
    throw new CommandLine.TypeConversionException("expected one of " + Arrays.stream(type.getEnumConstants())
        .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")) + " (any case) but was '"
        + value + "'");
  }

  /** {@code minio} or {@code aws}. */
  public static final class Client extends EnumConverter<io.litevault.bucket.ObjectStoreOptions.Client> {
    public Client() {
      super(io.litevault.bucket.ObjectStoreOptions.Client.class);
    }
  }

  /** {@code full}, {@code quick} or {@code none}. */
  public static final class IntegrityCheck extends EnumConverter<io.litevault.replication.restore.IntegrityCheck> {
    public IntegrityCheck() {
      super(io.litevault.replication.restore.IntegrityCheck.class);
    }
  }
}
