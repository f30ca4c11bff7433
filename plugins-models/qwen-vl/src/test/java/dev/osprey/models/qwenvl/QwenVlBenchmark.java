package dev.osprey.models.qwenvl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.media.Interpolation;
import dev.osprey.media.PixelValues;
import dev.osprey.media.Qwen2VlImageProcessor;
import dev.osprey.media.RgbImage;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.Losses;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.LoraWeights;

/**
 * Qwen2-VL with random weights, one drawn picture: preprocessing time, image encode time (a prefill with the image
 * less a text prefill of the same length), prefill and decode tokens/s after the image, and the time and memory of a
 * LoRA step (rank 8 on the language model's linears, the vision tower frozen as ms-swift's default) on the image
 * prompt. {@code -Dosprey.bench.shape=tiny} is the reference fixture's shape with a 640x480 picture resized to at most
 * 112² pixels; {@code 2b} is Qwen2-VL-2B's shape (F32, about 8.9 GB of weights) with at most 448² pixels. A
 * benchmark: off unless {@code -Dosprey.bench=true} (docs/benchmarks.md); prints its measurements.
 */
@EnabledIfSystemProperty(named = "osprey.bench", matches = "true")
class QwenVlBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TEXT_BEFORE = 8;
    private static final int TEXT_AFTER = 8;
    private static final int NEW_TOKENS = 16;
    private static final int REPEATS = 3;

    @Test
    void imageEncodePrefillDecodeAndALoraStep() throws Exception {
        String shape = System.getProperty("osprey.bench.shape", "tiny");
        Path fixture = new QwenVlFixture("qwen2-vl").folder;
        ObjectNode config =
                (ObjectNode) JSON.readTree(fixture.resolve("config.json").toFile());
        int side;
        if (shape.equals("2b")) {
            qwen2Vl2bShape(config);
            side = 448;
        } else {
            assertTrue(shape.equals("tiny"), "-Dosprey.bench.shape is tiny or 2b, not " + shape);
            side = 112;
        }
        ObjectNode vision = (ObjectNode) config.get("vision_config");
        int patch = vision.get("patch_size").asInt();
        Qwen2VlImageProcessor processor = new Qwen2VlImageProcessor(new Qwen2VlImageProcessor.Config(
                patch,
                vision.get("temporal_patch_size").asInt(),
                vision.get("spatial_merge_size").asInt(),
                (long) side * side,
                (long) side * side,
                true,
                Interpolation.PIL_BICUBIC,
                true,
                1 / 255.0,
                true,
                new double[] {0.48145466, 0.4578275, 0.40821073},
                new double[] {0.26862954, 0.26130258, 0.27577711}));
        RgbImage picture = drawn(640, 480);
        double preprocessSeconds = median(() -> {
            processor.preprocess(List.of(picture));
            return null;
        });
        PixelValues pixels = processor.preprocess(List.of(picture));
        int imageTokens = pixels.totalTokens();
        long[] withImage = prompt(config, imageTokens);
        Random random = new Random(1);
        long[] textOnly = random.longs(withImage.length, 0, 100).toArray();

        @SuppressWarnings("unchecked")
        Map<String, Object> map = JSON.convertValue(config, Map.class);
        try (NDManager manager = NDManager.newBaseManager()) {
            LanguageModel model = new Qwen2VlArchitecture()
                    .build(
                            HfConfig.of(
                                    map,
                                    Files.createTempDirectory("qwen2-vl-" + shape)
                                            .resolve("config.json")),
                            manager);
            long parameters = model.parameters().values().stream()
                    .mapToLong(a -> a.getShape().size())
                    .sum();
            Supplier<MediaTensors> media = () -> MediaTensors.of(Map.of(
                    MediaTensors.PIXEL_VALUES,
                    manager.create(pixels.data(), new Shape(pixels.shape())), // (patches, C·T·P·P)
                    MediaTensors.IMAGE_GRID_THW,
                    manager.create(
                            Arrays.stream(pixels.gridThw()[0]).asLongStream().toArray(), new Shape(1, 3))));
            long loaded = Memory.rssKb();
            System.out.printf("resident with the weights drawn: %.2f GiB%n", loaded / 1048576.0);
            double imagePrefill = median(() -> forward(model, manager, withImage, media.get()));
            System.out.printf("resident after image prefills: %.2f GiB%n", Memory.rssKb() / 1048576.0);
            double textPrefill = median(() -> forward(model, manager, textOnly, null));

            // the first token comes from the prefill, each later one from a decode step through the cache
            long[] firstAndLast = new long[2];
            long start = System.nanoTime();
            List<Generator.Result> generated = Generator.generate(
                    model,
                    List.of(Arrays.stream(withImage).mapToInt(t -> (int) t).toArray()),
                    media.get(),
                    GenerationOptions.greedy(NEW_TOKENS, Set.of()),
                    null,
                    null,
                    (row, token) -> {
                        long now = System.nanoTime();
                        if (firstAndLast[0] == 0) {
                            firstAndLast[0] = now;
                        }
                        firstAndLast[1] = now;
                    });
            double toFirstToken = (firstAndLast[0] - start) / 1e9;
            double decoding = (firstAndLast[1] - firstAndLast[0]) / 1e9;
            int produced = generated.get(0).tokens().length;
            System.out.printf("resident after generating: %.2f GiB%n", Memory.rssKb() / 1048576.0);

            // LoRA on the language model only, as ms-swift trains a VL model by default (ViT frozen)
            List<NDArray> trainable = new ArrayList<>();
            for (Linear l : LoraMerge.linearsOf(model)) {
                if (!l.name().contains("visual")) {
                    NDArray a = manager.randomUniform(-0.01f, 0.01f, new Shape(8, l.inFeatures()), DataType.FLOAT32);
                    NDArray b = manager.zeros(new Shape(l.outFeatures(), 8));
                    a.setRequiresGradient(true);
                    b.setRequiresGradient(true);
                    l.attach("bench", new LoraWeights(a, b, 2.0));
                    trainable.add(a);
                    trainable.add(b);
                }
            }
            forward(model, manager, withImage, media.get()); // every parameter drawn before memory is measured
            long before = Memory.rssKb();
            Memory.resetPeak();
            start = System.nanoTime();
            try (NDScope scope = new NDScope();
                    GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                scope.suppressNotUsedWarning();
                NDArray ids = manager.create(withImage, new Shape(1, withImage.length));
                NDArray logits = model.forward(ForwardRequest.builder(ids)
                                .optTraining(true)
                                .optAdapter("bench")
                                .optMedia(media.get())
                                .build())
                        .logits(); // (1, T, V)
                collector.backward(Losses.causalLm(logits, ids));
            }
            double step = (System.nanoTime() - start) / 1e9;
            long peak = Memory.peakKb();
            assertTrue(trainable.get(1).getGradient().abs().sum().getFloat() > 0, "the adapter gets a gradient");

            System.out.printf(
                    "qwen2-vl %s (%,d parameters, F32), a %dx%d picture resized to %dx%d (at most %d²): %d image"
                            + " tokens, prompt %d tokens%n",
                    shape,
                    parameters,
                    picture.width(),
                    picture.height(),
                    pixels.gridThw()[0][2] * patch,
                    pixels.gridThw()[0][1] * patch,
                    side,
                    imageTokens,
                    withImage.length);
            System.out.printf("  preprocess (resize, normalise, patches): %.3f s%n", preprocessSeconds);
            System.out.printf(
                    "  prefill with the image %.3f s (%.1f tokens/s); text prefill of the same length %.3f s;"
                            + " image encode %.3f s (%.1f image tokens/s)%n",
                    imagePrefill,
                    withImage.length / imagePrefill,
                    textPrefill,
                    imagePrefill - textPrefill,
                    imageTokens / Math.max(1e-9, imagePrefill - textPrefill));
            System.out.printf(
                    "  generate %d tokens after the image prompt: first token after %.2f s, then %.2f tokens/s%n",
                    produced, toFirstToken, (produced - 1) / Math.max(1e-9, decoding));
            System.out.printf(
                    "  LoRA r8 step (forward + backward, %d adapter arrays): %.2f s, resident %.2f GiB before,"
                            + " peak %.2f GiB (+%.2f GiB)%n",
                    trainable.size(), step, before / 1048576.0, peak / 1048576.0, (peak - before) / 1048576.0);
        }
    }

    /** Qwen2-VL-2B-Instruct's config.json shapes and token ids over the fixture's fields. */
    private static void qwen2Vl2bShape(ObjectNode config) {
        ObjectNode text = (ObjectNode) config.get("text_config");
        text.put("hidden_size", 1536)
                .put("intermediate_size", 8960)
                .put("num_hidden_layers", 28)
                .put("num_attention_heads", 12)
                .put("num_key_value_heads", 2)
                .put("vocab_size", 151936)
                .put("max_position_embeddings", 32768)
                .put("tie_word_embeddings", true);
        ArrayNode layers = text.putArray("layer_types");
        for (int i = 0; i < 28; i++) {
            layers.add("full_attention");
        }
        ObjectNode rope = (ObjectNode) text.get("rope_parameters");
        rope.put("rope_theta", 1000000.0);
        rope.putArray("mrope_section").add(16).add(24).add(24);
        ObjectNode vision = (ObjectNode) config.get("vision_config");
        vision.put("depth", 32)
                .put("embed_dim", 1280)
                .put("hidden_size", 1536)
                .put("mlp_ratio", 4)
                .put("num_heads", 16)
                .put("patch_size", 14);
        config.put("tie_word_embeddings", true)
                .put("image_token_id", 151655)
                .put("video_token_id", 151656)
                .put("vision_start_token_id", 151652)
                .put("vision_end_token_id", 151653);
    }

    /** Text, vision start, the image's placeholders, vision end, text. */
    private static long[] prompt(ObjectNode config, int imageTokens) {
        Random random = new Random(0);
        long[] ids = new long[TEXT_BEFORE + imageTokens + 2 + TEXT_AFTER];
        int at = 0;
        for (int i = 0; i < TEXT_BEFORE; i++) {
            ids[at++] = random.nextInt(100);
        }
        ids[at++] = config.get("vision_start_token_id").asLong();
        for (int i = 0; i < imageTokens; i++) {
            ids[at++] = config.get("image_token_id").asLong();
        }
        ids[at++] = config.get("vision_end_token_id").asLong();
        for (int i = 0; i < TEXT_AFTER; i++) {
            ids[at++] = random.nextInt(100);
        }
        return ids;
    }

    /** One inference forward pass, its intermediates freed. */
    private static Void forward(LanguageModel model, NDManager manager, long[] prompt, MediaTensors media) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray ids = manager.create(prompt, new Shape(1, prompt.length));
            model.forward(ForwardRequest.builder(ids).optMedia(media).build())
                    .logits()
                    .close();
        }
        return null;
    }

    /** The median wall time of {@link #REPEATS} runs after a warm-up run. */
    private static double median(Supplier<Void> run) {
        run.get();
        double[] seconds = new double[REPEATS];
        for (int i = 0; i < REPEATS; i++) {
            long start = System.nanoTime();
            run.get();
            seconds[i] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(seconds);
        return seconds[REPEATS / 2];
    }

    /** A picture with edges and gradients, so resizing does real work. */
    private static RgbImage drawn(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = (y * width + x) * 3;
                rgb[i] = (byte) (x * 255 / width);
                rgb[i + 1] = (byte) (((x / 40 + y / 40) % 2) * 200);
                rgb[i + 2] = (byte) (y * 255 / height);
            }
        }
        return new RgbImage(width, height, rgb);
    }

    /** The process's resident memory from /proc (PyTorch's native allocations included). */
    private static final class Memory {

        static long rssKb() throws IOException {
            return field("VmRSS:");
        }

        static long peakKb() throws IOException {
            return field("VmHWM:");
        }

        /** Linux resets the peak resident size to the current one when 5 is written to clear_refs. */
        static void resetPeak() throws IOException {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        }

        private static long field(String name) throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
                }
            }
            throw new IOException(name + " not in /proc/self/status");
        }
    }
}
