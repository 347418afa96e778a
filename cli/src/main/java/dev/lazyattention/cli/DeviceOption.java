package dev.lazyattention.cli;

import ai.djl.Device;
import dev.lazyattention.lm.DeviceChoice;
import picocli.CommandLine.Option;

/** {@code --device auto|cpu|gpu|gpu:N}, shared by every command that loads a model. */
final class DeviceOption {

    @Option(names = "--device", paramLabel = "auto|cpu|gpu|gpu:N",
            description = "Where to run (default: -Dlazyattention.device, else $LAZYATTENTION_DEVICE, else auto).",
            defaultValue = "${sys:lazyattention.device:-${env:LAZYATTENTION_DEVICE:-auto}}")
    String device;

    Device resolve() {
        return DeviceChoice.resolve(device, "--device");
    }
}
