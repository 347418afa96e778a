package dev.lazyattention.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/** JSON output of the commands. */
public final class Json {

    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private Json() {}

    /** {@code value} as JSON, NaN and infinities written as such. */
    public static String of(Object value) {
        return GSON.toJson(value);
    }
}
