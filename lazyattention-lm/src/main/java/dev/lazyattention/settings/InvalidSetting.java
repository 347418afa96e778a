package dev.lazyattention.settings;

/** A value that breaks its setting's rule; the message begins with the setting's name in the table. */
public final class InvalidSetting extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final transient Setting<?> setting;
    private final String problem;

    /** @param problem the text that follows the setting's name (" must be >= 1, got 0") */
    public InvalidSetting(Setting<?> setting, String problem) {
        super(setting.key() + problem);
        this.setting = setting;
        this.problem = problem;
    }

    Setting<?> setting() {
        return setting;
    }

    String problem() {
        return problem;
    }
}
