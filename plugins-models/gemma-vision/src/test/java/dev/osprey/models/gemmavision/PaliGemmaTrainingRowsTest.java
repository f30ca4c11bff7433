package dev.osprey.models.gemmavision;

import static dev.osprey.model.reference.MediaReference.flat;
import static dev.osprey.model.reference.MediaReference.matrix;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;

import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.MediaInput;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.media.MediaLoader;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.Losses;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.reference.HfReference;
import dev.osprey.model.spi.MediaProcessor;
import dev.osprey.train.sft.Batch;
import dev.osprey.train.sft.ExampleMedia;
import dev.osprey.train.sft.SftExample;

/**
 * PaliGemma training rows with images against transformers (tools/make-paligemma-training-fixture.py): an unlabelled
 * prompt with an image and its labelled answer become exactly the ids, labels and prefix (token_type_ids 0) of
 * {@code PaliGemmaProcessor} given the answer as its suffix, and the trainer's right-padded batch of two such rows
 * gives transformers' loss and the gradients of the projector, a language-model and a vision-tower weight.
 */
class PaliGemmaTrainingRowsTest {

    private static final int IGNORE = EncodedPrompt.IGNORE_INDEX;

    @Test
    void aBatchOfTrainingRowsGivesTransformersIdsLossAndGradients() throws Exception {
        Path model = HfReference.fixture(PaliGemmaTrainingRowsTest.class, "paligemma");
        Path images = model.resolveSibling("paligemma-images");
        JsonNode ref =
                new ObjectMapper().readTree(images.resolve("training.json").toFile());
        GemmaVisionFamily architecture = GemmaVisionReferenceTest.paliGemma();
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf = ModelLoader.load(model, c -> architecture, manager, DataType.FLOAT32)) {
            MediaProcessor processor = architecture.mediaProcessor(hf.config(), images);
            long[][] ids = matrix(ref.get("input_ids"));
            long[][] types = matrix(ref.get("token_type_ids"));
            long[][] labels = matrix(ref.get("labels"));
            long[][] mask = matrix(ref.get("attention_mask"));
            List<SftExample> rows = new ArrayList<>();
            for (int r = 0; r < ids.length; r++) {
                JsonNode row = ref.get("rows").get(r);
                MediaProcessor.Processed p = processor.process(
                        row(
                                row.get("image").asText(),
                                words(row.get("prompt").asText()),
                                words(row.get("answer").asText())),
                        new MediaLoader(images),
                        manager);
                int length = (int) Arrays.stream(mask[r]).sum();
                assertArrayEquals(prefix(ids[r], length), longs(p.inputIds()), "row " + r + ": input_ids");
                assertArrayEquals(prefix(labels[r], length), longs(p.labels()), "row " + r + ": labels");
                for (int t = 0; t < length; t++) {
                    // token_type_ids 0 (prefix, both ways) is block 0, 1 (suffix, causal) is -1
                    assertEquals(types[r][t] == 0 ? 0 : -1, p.attentionBlocks()[t], "row " + r + ": block " + t);
                }
                rows.add(new SftExample(
                        p.inputIds(), p.labels(), null, "row " + r, ExampleMedia.of(p.media()), p.attentionBlocks()));
            }

            WeightFiles expected = WeightFiles.openFile(images.resolve("training.safetensors"));
            try (NDManager scope = manager.newSubManager()) {
                Batch batch = Batch.of(scope, rows, 0);
                assertArrayEquals(flat(ids), batch.inputIds().toLongArray(), "the padded batch's ids");
                assertArrayEquals(
                        expected.load(scope, MediaTensors.PIXEL_VALUES, DataType.FLOAT32)
                                .toFloatArray(),
                        batch.media().require(MediaTensors.PIXEL_VALUES, "test").toFloatArray(),
                        "pixel_values");
                List<NDArray> parameters = new ArrayList<>();
                for (JsonNode key : ref.get("gradients")) {
                    NDArray parameter = hf.model().parameters().get(key.asText());
                    assertTrue(parameter != null, key + " is not a parameter");
                    parameter.setRequiresGradient(true);
                    parameters.add(parameter);
                }
                try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                    NDArray loss = Losses.causalLm(batch.logits(hf.model(), null, true), batch.labels());
                    double want = ref.get("loss").asDouble();
                    assertEquals(want, loss.getFloat(), HfReference.RELATIVE_TOLERANCE * want, "the loss");
                    collector.backward(loss);
                }
                for (int i = 0; i < parameters.size(); i++) {
                    String key = ref.get("gradients").get(i).asText();
                    float[] want = expected.load(scope, "grad." + key, DataType.FLOAT32)
                            .toFloatArray();
                    float[] got = parameters.get(i).getGradient().toFloatArray();
                    double scale = 0;
                    double worst = 0;
                    for (int j = 0; j < want.length; j++) {
                        scale = Math.max(scale, Math.abs(want[j]));
                        worst = Math.max(worst, Math.abs(want[j] - got[j]));
                    }
                    assertTrue(scale > 0, key + ": the loss does not depend on it");
                    assertTrue(
                            worst <= 1e-3 * scale,
                            key + ": gradient differs from transformers' by " + worst + " (largest " + scale + ")");
                }
            }
        }
    }

    @Test
    void anImageInTheAnswerIsRefused() throws IOException {
        Path model = HfReference.fixture(PaliGemmaTrainingRowsTest.class, "paligemma");
        Path images = model.resolveSibling("paligemma-images");
        GemmaVisionFamily architecture = GemmaVisionReferenceTest.paliGemma();
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf = ModelLoader.load(model, c -> architecture, manager, DataType.FLOAT32)) {
            // w93 w5 | w8 <image> <eos>: the image after the first labelled token
            EncodedPrompt row = new EncodedPrompt(
                    new int[] {93, 5, 8, 1},
                    new int[] {IGNORE, IGNORE, 8, 1},
                    List.of(new MediaInput(3, ContentPart.image("a.png"))));
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> architecture
                            .mediaProcessor(hf.config(), images)
                            .process(row, new MediaLoader(images), manager));
            assertTrue(e.getMessage().contains("image 1 is in the labelled answer"), e.getMessage());
        }
    }

    /** An image, the prompt's words unlabelled, then the answer's words and EOS labelled, as the encoder gives it. */
    private static EncodedPrompt row(String image, int[] prompt, int[] answer) {
        int[] ids = new int[prompt.length + answer.length + 1];
        int[] labels = new int[ids.length];
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        System.arraycopy(answer, 0, ids, prompt.length, answer.length);
        ids[ids.length - 1] = 1; // <eos>
        for (int i = 0; i < ids.length; i++) {
            labels[i] = i < prompt.length ? IGNORE : ids[i];
        }
        return new EncodedPrompt(ids, labels, List.of(new MediaInput(0, ContentPart.image(image))));
    }

    /** "w93 w5" as the fixture's word-level tokenizer encodes it. */
    private static int[] words(String text) {
        return Arrays.stream(text.split(" "))
                .mapToInt(w -> Integer.parseInt(w.substring(1)))
                .toArray();
    }

    private static long[] prefix(long[] row, int length) {
        return Arrays.copyOf(row, length);
    }

    private static long[] longs(int[] values) {
        return Arrays.stream(values).asLongStream().toArray();
    }
}
