package dev.osprey.models.qwen;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens and LoRA outputs equal those Hugging Face transformers computed for the same
 * tiny checkpoints (written by tools/make-reference-fixtures.py; src/test/resources/reference).
 */
class QwenReferenceTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "qwen2, Qwen2Architecture",
            "qwen2-rope-yarn, Qwen2Architecture",
            "qwen3, Qwen3Architecture",
            "qwen3-moe, Qwen3MoeArchitecture",
            "qwen3-moe-dense-layer, Qwen3MoeArchitecture",
    })
    void matchesTransformers(String fixture, String architecture) throws Exception {
        ModelArchitecture arch = (ModelArchitecture) Class.forName("dev.osprey.models.qwen." + architecture)
                .getDeclaredConstructor().newInstance();
        HfReference.check(HfReference.fixture(getClass(), fixture), arch);
    }
}
