package dev.osprey.models.gemma;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens and LoRA outputs equal those Hugging Face transformers computed for the same
 * tiny checkpoints (written by tools/make-reference-fixtures.py; src/test/resources/reference).
 */
class GemmaReferenceTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "gemma, GemmaArchitecture",
    })
    void matchesTransformers(String fixture, String architecture) throws Exception {
        ModelArchitecture arch = (ModelArchitecture) Class.forName("dev.osprey.models.gemma." + architecture)
                .getDeclaredConstructor().newInstance();
        HfReference.check(HfReference.fixture(getClass(), fixture), arch);
    }
}
