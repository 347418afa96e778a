package dev.lazyattention.integration;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The package structure of every module's main classes, checked on each build so that a new package cycle
 * or an arrow pointing the wrong way fails it.
 *
 * <pre>
 *   lab                                 benchmarks and experiments (may use everything below)
 *   corenlp, opennlp, spark, cli        adapters and applications (spark may use corenlp, cli corenlp and opennlp)
 *   serving                             DJL serving: Criteria, the block and translator factories
 *   train
 *   eval, generate                      (generate may use eval)
 *   data
 *   lm                                  LazyLanguageModel: the network's owner, with its tokenizer
 *   modelfile                           the .lazylm.zip container and its checks; modelfile.hf the Hugging Face folder
 *   tokenizer, model                    (model may use tokenizer; model.LazyLmBlock is the network)
 *   settings                            tables of settings: parsing, checks, front ends' names, JSON, options
 *   engine, names                       the engine's runtime settings; the closest name for "did you mean"
 *   attention, util                     the block module (attention uses util)
 * </pre>
 *
 * A layer may use the layers below it and nothing above (no library and not the {@code lazyattn} command's own
 * module uses the lab); no package, at any depth, is in a cycle. The block
 * module, and everything up to serving, names no CoreNLP, OpenNLP, Spark or PyTorch class: the engine is the
 * application's choice.
 */
@AnalyzeClasses(packages = "dev.lazyattention",
        importOptions = {ImportOption.DoNotIncludeTests.class, ArchitectureTest.DoNotIncludeTestJars.class})
class ArchitectureTest {

    private static final String[] LM_PACKAGES = {
        "dev.lazyattention.attention..", "dev.lazyattention.util..", "dev.lazyattention.tokenizer..",
        "dev.lazyattention.engine..", "dev.lazyattention.names..", "dev.lazyattention.settings..",
        "dev.lazyattention.model..",
        "dev.lazyattention.modelfile..", "dev.lazyattention.lm..", "dev.lazyattention.data..",
        "dev.lazyattention.eval..", "dev.lazyattention.generate..", "dev.lazyattention.train..",
        "dev.lazyattention.serving..",
    };

    /** Test jars (lazyattention-lm's shared test fixtures) hold test code too; DoNotIncludeTests sees only folders. */
    static final class DoNotIncludeTestJars implements ImportOption {
        @Override
        public boolean includes(Location location) {
            return !location.matches(TEST_JAR);
        }

        private static final Pattern TEST_JAR = Pattern.compile(".*-tests\\.jar.*");
    }

    /**
     * The rules below pass vacuously for a module whose classes are not imported, so first: every package of
     * every module is there (a module dropped from this module's test dependencies fails here), no test
     * class is, and no package outside the layers (a new one must be given its place in {@link #LAYERS}).
     */
    @ArchTest
    static void everyModulesMainClassesAndNoTestClassesAreImported(JavaClasses classes) {
        Set<String> packages = new TreeSet<>();
        for (JavaClass c : classes) {
            String below = c.getPackageName().equals("dev.lazyattention") ? "(dev.lazyattention itself)"
                    : c.getPackageName().substring("dev.lazyattention.".length());
            packages.add(below.contains(".") ? below.substring(0, below.indexOf('.')) : below);
        }
        Set<String> expected = new TreeSet<>(LAYERS);
        assertEquals(expected, packages, "top-level packages under dev.lazyattention in the main classes");
    }

    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("dev.lazyattention.(*)..")
            .should().beFreeOfCycles();

    /** Sub-packages too (modelfile and modelfile.hf, say), which the rule above sees as one slice. */
    @ArchTest
    static final ArchRule noCyclesAtAnyDepth = slices().matching("dev.lazyattention.(**)")
            .should().beFreeOfCycles();

    @ArchTest
    static final ArchRule theModelFileContainerKnowsNoFolderLayout = noClasses()
            .that().resideInAPackage("dev.lazyattention.modelfile")
            .should().dependOnClassesThat().resideInAPackage("dev.lazyattention.modelfile.hf..")
            .because("the Hugging Face folder reader uses the container's checks and exception, not the other way");

    /**
     * The layers, lowest first, each the packages {@code dev.lazyattention.<name>..}: a layer may be used only by
     * the layers after it (the adapters' rules below say which adapter may use which).
     */
    static final List<String> LAYERS = List.of("util", "attention", "engine", "names", "settings", "tokenizer", "model",
            "modelfile", "lm", "data", "eval", "generate", "train", "serving", "corenlp", "opennlp", "spark", "cli", "lab");

    @ArchTest
    static final ArchRule layersOnlyPointDown = layersOnlyPointDown();

    private static ArchRule layersOnlyPointDown() {
        Architectures.LayeredArchitecture layers = layeredArchitecture().consideringOnlyDependenciesInLayers();
        for (String layer : LAYERS) {
            layers = layers.layer(layer).definedBy("dev.lazyattention." + layer + "..");
        }
        for (int i = 0; i < LAYERS.size() - 1; i++) {
            layers = layers.whereLayer(LAYERS.get(i))
                    .mayOnlyBeAccessedByLayers(LAYERS.subList(i + 1, LAYERS.size()).toArray(String[]::new));
        }
        return layers.whereLayer(LAYERS.get(LAYERS.size() - 1)).mayNotBeAccessedByAnyLayer();
    }

    @ArchTest
    static final ArchRule noLibraryAndNotTheCommandUsesTheLab = noClasses()
            .that().resideOutsideOfPackage("dev.lazyattention.lab..")
            .should().dependOnClassesThat().resideInAPackage("dev.lazyattention.lab..")
            .because("benchmarks and experiments stay out of the library jars and the cli module");

    @ArchTest
    static final ArchRule coreNlpAdapterUsesNoOtherAdapter = noClasses()
            .that().resideInAPackage("dev.lazyattention.corenlp..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.lazyattention.opennlp..", "dev.lazyattention.spark..")
            .because("the adapters are independent of one another");

    @ArchTest
    static final ArchRule openNlpAdapterUsesNoOtherAdapter = noClasses()
            .that().resideInAPackage("dev.lazyattention.opennlp..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.lazyattention.corenlp..", "dev.lazyattention.spark..")
            .because("the adapters are independent of one another");

    @ArchTest
    static final ArchRule sparkUsesOnlyTheCoreNlpAdapter = noClasses()
            .that().resideInAPackage("dev.lazyattention.spark..")
            .should().dependOnClassesThat().resideInAPackage("dev.lazyattention.opennlp..")
            .because("spark-scoring uses corenlp-annotator only, as an optional dependency, for its CoreNLP sentence splitter");

    @ArchTest
    static final ArchRule blockAndLanguageModelNameNoToolkitOrEngine = noClasses()
            .that().resideInAnyPackage(LM_PACKAGES)
            .should().dependOnClassesThat()
            .resideInAnyPackage("edu.stanford..", "opennlp..", "org.apache.spark..", "ai.djl.pytorch..")
            .because("the block and the language model serve every toolkit, and the application chooses the engine");

    @ArchTest
    static final ArchRule theLibraryNamesPicocliOnlyForSettingOptions = noClasses()
            .that().resideInAnyPackage(LM_PACKAGES).and().doNotHaveSimpleName("SettingOptions")
            .should().dependOnClassesThat().resideInAPackage("picocli..")
            .because("picocli is an optional dependency of lazyattention-lm, for applications that parse with it");

    @ArchTest
    static final ArchRule blockModuleNeedsOnlyJavaAndDjl = classes()
            .that().resideInAnyPackage("dev.lazyattention.attention..", "dev.lazyattention.util..")
            .should().onlyDependOnClassesThat(
                    resideInAnyPackage("java..", "ai.djl..", "dev.lazyattention.attention..", "dev.lazyattention.util..")
                            .and(not(resideInAPackage("ai.djl.pytorch.."))))
            .because("djl-lazyattention-block depends on ai.djl:api alone");
}
