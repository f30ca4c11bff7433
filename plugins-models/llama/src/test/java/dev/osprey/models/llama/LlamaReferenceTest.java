package dev.osprey.models.llama;

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
class LlamaReferenceTest {

    static Stream<Arguments> fixtures() {
        return Stream.of(
                arguments("llama", new LlamaArchitecture()),
                arguments("llama-bf16", new LlamaArchitecture()),
                arguments("llama-gptq", new LlamaArchitecture()),
                arguments("llama-awq", new LlamaArchitecture()),
                arguments("llama-gptq-g32", new LlamaArchitecture()),
                arguments("llama-awq-g32", new LlamaArchitecture()),
                arguments("llama-rope-llama3", new LlamaArchitecture()),
                arguments("llama-rope-linear", new LlamaArchitecture()),
                arguments("llama-rope-dynamic", new LlamaArchitecture()),
                arguments("mistral", new MistralArchitecture()),
                arguments("mixtral", new MixtralArchitecture()),
                arguments("seed-oss", new SeedOssArchitecture()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void matchesTransformers(String fixture, ModelArchitecture architecture) throws Exception {
        HfReference.check(getClass(), fixture, architecture);
    }
}
