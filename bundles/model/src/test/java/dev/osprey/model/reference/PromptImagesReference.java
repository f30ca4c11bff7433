package dev.osprey.model.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.MediaInput;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.media.MediaLoader;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.spi.MediaProcessor;

/**
 * The prompt path of a multimodal family against its own processor (tools/make-vl-prompt-fixtures.py, and
 * tools/make-qwen-vl-prompt-fixtures.py for Qwen2-VL): a prompt as the encoder gives it (one media part where each
 * placeholder was) and the folder's PNG files become exactly the ids and {@code pixel_values} the family's own code
 * made of the same conversation (images.json, pixel_values.safetensors), and the model's greedy tokens from them are
 * the reference's.
 */
public final class PromptImagesReference {

    private PromptImagesReference() {}

    /**
     * @param images the folder with images.json, pixel_values.safetensors and the PNGs
     * @param model the tiny model loaded from its fixture
     * @param processor the family's media step for {@code images}
     * @param imageTokens the ids the step puts in (unlabelled), all others keep their labels
     */
    public static void check(
            Path images, HfModel model, MediaProcessor processor, NDManager manager, int... imageTokens)
            throws IOException {
        JsonNode ref = new ObjectMapper().readTree(images.resolve("images.json").toFile());
        int[] promptIds = ints(ref.get("prompt_ids"));
        List<MediaInput> media = new ArrayList<>();
        JsonNode content = ref.get("messages").get(0).get("content");
        for (JsonNode part : content) {
            if (part.get("type").asText().equals("image")) {
                media.add(new MediaInput(
                        ref.get("media_positions").get(media.size()).asInt(),
                        ContentPart.image(part.get("image").asText())));
            }
        }
        MediaProcessor.Processed p = processor.process(
                new EncodedPrompt(promptIds, promptIds.clone(), media), new MediaLoader(images), manager);

        assertArrayEquals(ints(ref.get("input_ids")), p.inputIds(), "the processor's input_ids");
        HashSet<Integer> inserted = new HashSet<>();
        for (int t : imageTokens) {
            inserted.add(t);
        }
        for (int i = 0; i < p.inputIds().length; i++) {
            boolean image = inserted.contains(p.inputIds()[i]);
            if (image) {
                assertEquals(EncodedPrompt.IGNORE_INDEX, p.labels()[i], "label " + i);
            }
        }
        NDArray pixels = p.media().require(MediaTensors.PIXEL_VALUES, "test");
        try (NDManager scope = manager.newSubManager()) {
            NDArray expected = WeightFiles.openFile(images.resolve("pixel_values.safetensors"))
                    .load(scope, MediaTensors.PIXEL_VALUES, DataType.FLOAT32);
            assertEquals(expected.getShape(), pixels.getShape(), "pixel_values' shape");
            float[] want = expected.toFloatArray();
            float[] got = pixels.toFloatArray();
            double worst = 0;
            for (int i = 0; i < want.length; i++) {
                worst = Math.max(worst, Math.abs(want[i] - got[i]));
            }
            assertEquals(0, worst, 0, "the largest difference from the reference's pixel_values");
        }

        JsonNode greedy = ref.get("greedy");
        GenerationOptions options = GenerationOptions.greedy(
                greedy.get("max_new_tokens").asInt(),
                new HashSet<>(model.generationConfig().eosTokenIds()));
        List<Generator.Result> out =
                Generator.generate(model.model(), List.of(p.inputIds()), p.media(), options, null, null, null);
        assertArrayEquals(ints(greedy.get("tokens")), out.get(0).tokens(), "the reference's greedy tokens");
    }

    static int[] ints(JsonNode node) {
        int[] out = new int[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = node.get(i).asInt();
        }
        return out;
    }
}
