package dev.lazyattention.lab.hf;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.lazyattention.engine.DjlSetup;
import dev.lazyattention.lm.LazyLanguageModel;
import dev.lazyattention.modelfile.hf.HfConfig;
import dev.lazyattention.modelfile.hf.HfFolder;
import dev.lazyattention.model.LmConfig;
import dev.lazyattention.tokenizer.BpeTokenizer;
import dev.lazyattention.tokenizer.BpeTrainer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Times export and import of model folders and measures the heap an import needs; a program, not a test,
 * because it writes half a gigabyte. {@code ./lazyattn --help} builds the lab module and its class path; then
 * run it with the heap limit to check:
 *
 * <pre>
 * CP=lab/target/classes:$(cat lab/target/lazyattn.classpath)
 * java -cp $CP dev.lazyattention.lab.hf.FolderBenchmark small /tmp/hf-small        # export and import, small preset
 * java -cp $CP dev.lazyattention.lab.hf.FolderBenchmark write-large /tmp/hf-large  # a folder of about 550 MB
 * java -Xmx256m -cp $CP dev.lazyattention.lab.hf.FolderBenchmark import /tmp/hf-large
 * </pre>
 */
public final class FolderBenchmark {

    private FolderBenchmark() {}

    public static void main(String[] args) throws IOException {
        DjlSetup.offline();
        Path dir = Path.of(args[1]);
        switch (args[0]) {
            case "small" -> small(dir);
            case "write-large" -> writeLarge(dir);
            case "import" -> timeImport(dir);
            default -> throw new IllegalArgumentException("mode " + args[0] + ": small, write-large or import");
        }
    }

    /** A byte-level BPE of exactly {@code size} tokens, trained on WikiText-2's test split (the shared data). */
    private static BpeTokenizer tokenizer(int size) throws IOException {
        java.util.List<String> documents;
        try (java.io.InputStream in = new java.util.zip.GZIPInputStream(
                Files.newInputStream(Path.of("/work/shared/data/eval/wikitext2-test.txt.gz")))) {
            documents = java.util.List.of(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                    .split("\n\\s*\n"));
        }
        BpeTokenizer t = new BpeTrainer(size).train(documents);
        if (t.vocabSize() != size) {
            throw new IllegalStateException("the corpus gave " + t.vocabSize() + " tokens, not " + size);
        }
        return t;
    }

    private static void small(Path dir) throws IOException {
        BpeTokenizer tokenizer = tokenizer(4096);
        LmConfig config = LmConfig.preset("small");
        Path zip = dir.resolve("small.lazylm.zip");
        try (LazyLanguageModel lm = LazyLanguageModel.create(config, tokenizer, Device.cpu(), 1)) {
            lm.save(zip);
        }
        for (DataType dtype : new DataType[] {DataType.FLOAT32, DataType.BFLOAT16}) {
            Path folder = dir.resolve("small-" + HfConfig.torchDtype(dtype));
            for (int run = 0; run < 3; run++) {
                long start = System.nanoTime();
                try (LazyLanguageModel lm = LazyLanguageModel.load(zip, Device.cpu())) {
                    lm.exportFolder(folder, dtype);
                }
                double export = (System.nanoTime() - start) / 1e9;
                start = System.nanoTime();
                try (LazyLanguageModel lm = LazyLanguageModel.load(folder, Device.cpu())) {
                    lm.parameterCount();
                }
                double load = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "small %s run %d: %,d parameters, %,d bytes; zip -> folder %.2f s, "
                        + "folder -> model %.2f s%n", HfConfig.torchDtype(dtype), run, config.parameterCount(),
                        Files.size(folder.resolve(HfFolder.WEIGHTS)), export, load);
            }
        }
    }

    private static void writeLarge(Path dir) throws IOException {
        LmConfig config = LmConfig.preset("small").with(LmConfig.VOCAB_SIZE, 4096).with(LmConfig.NUM_LAYERS, 10)
                .with(LmConfig.HIDDEN_SIZE, 1024).with(LmConfig.NUM_HEADS, 16).with(LmConfig.NUM_KV_HEADS, 16)
                .with(LmConfig.MLP_HIDDEN_SIZE, 2816).with(LmConfig.CONTEXT_LENGTH, 1024)
                .with(LmConfig.BIAS_LENGTH, 1024);
        try (LazyLanguageModel lm = LazyLanguageModel.create(config, tokenizer(4096), Device.cpu(), 1)) {
            long start = System.nanoTime();
            lm.exportFolder(dir, DataType.FLOAT32);
            System.out.printf(Locale.ROOT, "wrote %s: %,d parameters, %,d bytes of safetensors in %.2f s%n", dir,
                    lm.parameterCount(), Files.size(dir.resolve(HfFolder.WEIGHTS)), (System.nanoTime() - start) / 1e9);
        }
    }

    private static void timeImport(Path dir) throws IOException {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
        long start = System.nanoTime();
        long parameters;
        try (LazyLanguageModel lm = LazyLanguageModel.load(dir, Device.cpu())) {
            parameters = lm.parameterCount();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.printf(Locale.ROOT, "imported %s: %,d parameters (%,d bytes of safetensors) in %.2f s; peak heap "
                + "(sum of the heap pools' peaks) %,d bytes = %.2f of the model; max heap %,d bytes%n", dir, parameters,
                Files.size(dir.resolve(HfFolder.WEIGHTS)), seconds, peak,
                peak / (double) Files.size(dir.resolve(HfFolder.WEIGHTS)), Runtime.getRuntime().maxMemory());
    }
}
