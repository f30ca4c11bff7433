package dev.osprey.models.phi3;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens and LoRA outputs equal those Hugging Face transformers computed for the same
 * tiny checkpoints (written by tools/make-reference-fixtures.py; src/test/resources/reference).
 */
class Phi3ReferenceTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "phi3, Phi3Architecture",
            "phi3-longrope, Phi3Architecture",
    })
    void matchesTransformers(String fixture, String architecture) throws Exception {
        ModelArchitecture arch = (ModelArchitecture) Class.forName("dev.osprey.models.phi3." + architecture)
                .getDeclaredConstructor().newInstance();
        HfReference.check(HfReference.fixture(getClass(), fixture), arch);
    }
}
