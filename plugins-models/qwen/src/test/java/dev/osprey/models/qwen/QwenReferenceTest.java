package dev.osprey.models.qwen;

import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens and LoRA outputs equal those Hugging Face transformers computed for the same
 * tiny checkpoints (written by tools/make-reference-fixtures.py; src/test/resources/reference).
 */
class QwenReferenceTest {

    static Stream<Arguments> fixtures() {
        return Stream.of(
                arguments("qwen2", new Qwen2Architecture()),
                arguments("qwen2-rope-yarn", new Qwen2Architecture()),
                arguments("qwen2-moe", new Qwen2MoeArchitecture()),
                arguments("qwen3", new Qwen3Architecture()),
                arguments("qwen3-fp8", new Qwen3Architecture()),
                arguments("qwen3-moe", new Qwen3MoeArchitecture()),
                arguments("qwen3-moe-dense-layer", new Qwen3MoeArchitecture()),
                arguments("qwen3-next", new Qwen3NextArchitecture()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void matchesTransformers(String fixture, ModelArchitecture architecture) throws Exception {
        HfReference.check(getClass(), fixture, architecture);
    }

    /** MiMo's own remote code (tools/make-remote-code-fixtures.py); its MTP layer is in the checkpoint, unused. */
    @Test
    void mimoMatchesItsRemoteCode() throws Exception {
        HfReference.check(getClass(), "mimo", new MiMoArchitecture(), "model.mtp_layers.");
    }
}
