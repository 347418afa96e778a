package dev.lazyattention.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/** JSON output of the commands. */
final class Json {

    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private Json() {}

    static String of(Object value) {
        return GSON.toJson(value);
    }
}
