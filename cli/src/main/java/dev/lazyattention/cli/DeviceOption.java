package dev.lazyattention.cli;

import ai.djl.Device;
import dev.lazyattention.engine.DeviceChoice;
import picocli.CommandLine.Option;

/** {@code --device auto|cpu|gpu|gpu:N}, shared by every command that loads a model. */
public final class DeviceOption {

    @Option(names = "--device", paramLabel = "auto|cpu|gpu|gpu:N",
            description = "Where to run (default: -Dlazyattention.device, else $LAZYATTENTION_DEVICE, else auto).",
            defaultValue = "${sys:lazyattention.device:-${env:LAZYATTENTION_DEVICE:-auto}}")
    String device;

    /** The text given (or the default), as the {@code lazylm.device} property and {@code --device} take it. */
    public String text() {
        return device;
    }

    /** The device named, checked against this machine. */
    public Device resolve() {
        return DeviceChoice.resolve(device, "--device");
    }
}
