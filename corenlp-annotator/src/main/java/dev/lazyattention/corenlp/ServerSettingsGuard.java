package dev.lazyattention.corenlp;

import dev.lazyattention.names.ClosestName;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Decides whether a server request's properties leave the server's own settings alone. The settings of
 * every {@link LazyLmAnnotator} that the server was started with are fixed: its model file, device,
 * threads, batch size and limits open files or spend memory and threads, so a request may not change them.
 * A request may set only {@link LazyLmSettings#REQUEST_OPTIONS} ({@code topK} up to the server's
 * {@code maxTopK}), and may not name annotator classes ({@code customAnnotatorClass.*}) other than the
 * server's.
 *
 * <p>The check runs on the properties CoreNLP merged for the request (server defaults overlaid by the
 * request), so it sees exactly what the annotator would see, however the request spelled them.
 */
final class ServerSettingsGuard {

    private static final String CUSTOM_CLASS = "customAnnotatorClass.";

    private final Map<String, String> fixed = new TreeMap<>();
    private final Map<String, Integer> maxTopK = new TreeMap<>();
    private final Map<String, LazyLmSettings> settings = new TreeMap<>();

    /**
     * A guard for a server started with {@code serverProperties}; parses the settings of each annotator
     * they configure (a bad value fails here, at start).
     */
    ServerSettingsGuard(Properties serverProperties) {
        for (String key : serverProperties.stringPropertyNames()) {
            if (key.startsWith(CUSTOM_CLASS)) {
                fixed.put(key, serverProperties.getProperty(key));
                if (LazyLmAnnotator.class.getName().equals(serverProperties.getProperty(key).trim())) {
                    String name = key.substring(CUSTOM_CLASS.length());
                    LazyLmSettings parsed = new LazyLmSettings(name, serverProperties);
                    settings.put(name, parsed);
                    maxTopK.put(name, parsed.config.maxTopK());
                }
            }
        }
        for (String key : serverProperties.stringPropertyNames()) {
            if (annotatorOf(key) != null) {
                fixed.put(key, serverProperties.getProperty(key));
            }
        }
    }

    /** The settings of each annotator the server runs, by name ({@code lazylm} for {@code customAnnotatorClass.lazylm}). */
    Iterable<LazyLmSettings> settings() {
        return settings.values();
    }

    /** Why the request may not run, or empty when it changes nothing the server fixed. */
    Optional<String> violation(Properties request) {
        for (String key : new TreeSet<>(request.stringPropertyNames())) {
            String value = request.getProperty(key);
            if (key.startsWith(CUSTOM_CLASS)) {
                if (!Objects.equals(value, fixed.get(key))) {
                    return Optional.of(key + " is fixed by the server: a request may not name annotator classes");
                }
                continue;
            }
            String name = annotatorOf(key);
            if (name == null) {
                continue;
            }
            String option = key.substring(name.length() + 1);
            if (!LazyLmSettings.OPTIONS.contains(option)) {
                return Optional.of(key + " is not a property of the " + name + " annotator; did you mean " + name + "."
                        + ClosestName.closest(option, LazyLmSettings.OPTIONS) + "? (a request may set " + name
                        + ".topK, at most " + maxTopK.get(name) + ")");
            }
            if (LazyLmSettings.REQUEST_OPTIONS.contains(option)) {
                Optional<String> bad = checkTopK(name, key, value);
                if (bad.isPresent()) {
                    return bad;
                }
            } else if (!Objects.equals(value, fixed.get(key))) {
                return Optional.of(key + " is fixed by the server and may not be set by a request"
                        + " (a request may set " + name + ".topK, at most " + maxTopK.get(name) + ")");
            }
        }
        return Optional.empty();
    }

    private Optional<String> checkTopK(String name, String key, String value) {
        int k;
        try {
            k = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return Optional.of(key + "=" + value + ": not an integer");
        }
        if (k < 0 || k > maxTopK.get(name)) {
            return Optional.of(key + "=" + k + ": a request may ask for 0 to " + maxTopK.get(name)
                    + " (the server's " + name + ".maxTopK)");
        }
        return Optional.empty();
    }

    /** The server's annotator name that {@code key} belongs to, or null. */
    private String annotatorOf(String key) {
        for (String name : maxTopK.keySet()) {
            if (key.startsWith(name + ".")) {
                return name;
            }
        }
        return null;
    }
}
