package dev.osprey.models.gemma;

import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens and LoRA outputs equal those Hugging Face transformers computed for the same
 * tiny checkpoints (written by tools/make-reference-fixtures.py; src/test/resources/reference).
 */
class GemmaReferenceTest {

    static Stream<Arguments> fixtures() {
        return Stream.of(
                arguments("gemma", new GemmaArchitecture()),
                arguments("gemma2", new Gemma2Architecture()),
                arguments("gemma3-text", new Gemma3TextArchitecture()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void matchesTransformers(String fixture, ModelArchitecture architecture) throws Exception {
        HfReference.check(getClass(), fixture, architecture);
    }
}
