package io.litevault.ttl;

import java.util.Objects;
import java.util.function.Function;

/**
 * Turns a {@link TtlTable}'s values into the TEXT stored in its value column and back (JSON, a user
 * id, a plain string). Must be thread-safe and must not return null.
 *
 * @param <V> the value type
 */
public interface TtlCodec<V> {
  String encode(V value);

  V decode(String stored);

  /** Strings stored as they are. */
  static TtlCodec<String> string() {
    return of(Function.identity(), Function.identity());
  }

  /** A codec from two functions, e.g. {@code TtlCodec.of(String::valueOf, Long::valueOf)}. */
  static <V> TtlCodec<V> of(Function<? super V, String> encode, Function<String, ? extends V> decode) {
    Objects.requireNonNull(encode, "encode");
    Objects.requireNonNull(decode, "decode");
    return new TtlCodec<>() {
      @Override
      public String encode(V value) {
        return encode.apply(value);
      }

      @Override
      public V decode(String stored) {
        return decode.apply(stored);
      }
    };
  }
}
