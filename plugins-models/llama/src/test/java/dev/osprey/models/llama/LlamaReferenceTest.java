package dev.osprey.models.llama;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens and LoRA outputs equal those Hugging Face transformers computed for the same
 * tiny checkpoints (written by tools/make-reference-fixtures.py; src/test/resources/reference).
 */
class LlamaReferenceTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "llama, LlamaArchitecture",
            "llama-bf16, LlamaArchitecture",
            "llama-rope-llama3, LlamaArchitecture",
            "llama-rope-linear, LlamaArchitecture",
            "llama-rope-dynamic, LlamaArchitecture",
            "mistral, MistralArchitecture",
            "mixtral, MixtralArchitecture",
    })
    void matchesTransformers(String fixture, String architecture) throws Exception {
        ModelArchitecture arch = (ModelArchitecture) Class.forName("dev.osprey.models.llama." + architecture)
                .getDeclaredConstructor().newInstance();
        HfReference.check(HfReference.fixture(getClass(), fixture), arch);
    }
}
