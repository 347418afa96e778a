package dev.lazyattention.cli;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.modelfile.hf.HfConfig;
import dev.lazyattention.modelfile.hf.HfFolder;
import dev.lazyattention.train.LmTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code lazyattn export}. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a model as a folder in Hugging Face's layout (config.json, model.safetensors with "
                + "Llama's tensor names, tokenizer.json, ...) for PyTorch; tau and the distance bias stay float32.")
final class ExportCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "A .lazylm.zip model file.")
    Path modelFile;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The folder to write (created).")
    Path out;

    @Option(names = "--dtype", paramLabel = "float32|float16|bfloat16", defaultValue = "float32",
            description = "The type of the weights in model.safetensors; tau and the distance bias stay float32"
                    + " (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Override
    public Integer call() throws Exception {
        DataType type = HfConfig.parseDtype(dtype);
        long start = System.nanoTime();
        try (LazyLanguageModel lm = LazyLanguageModel.load(modelFile, Device.cpu())) {
            // The trainer's metrics log beside the model file, if any, goes into the model card.
            Path parent = modelFile.toAbsolutePath().getParent();
            Map<String, String> records = HfFolder.lastRecord(parent.resolve(LmTrainer.METRICS_FILE));
            lm.exportFolder(out, type, records);
        }
        System.out.printf(Locale.ROOT, "wrote %s (%s, %,d bytes of tensors) in %.2f s%n", out,
                HfConfig.torchDtype(type), Files.size(out.resolve(HfFolder.WEIGHTS)),
                (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
