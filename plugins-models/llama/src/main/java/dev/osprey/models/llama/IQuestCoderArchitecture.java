package dev.osprey.models.llama;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;

/**
 * IQuest-Coder-V1 ({@code IQuestCoderForCausalLM}, model_type {@code iquestcoder}; remote code on the Hub): Llama
 * under Llama's names, as its configuration_iquestcoder.py describes it and sglang serves it. Its config also
 * offers OLMo's {@code clip_qkv} and Qwen2's sliding window, which the released models leave off; a config that
 * turns either on is refused. The looping variant (IQuest-Coder-V1-Loop) is another architecture.
 */
@Component(service = ModelArchitecture.class)
public class IQuestCoderArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /** @throws IllegalArgumentException naming {@code clip_qkv} or {@code use_sliding_window}, or a Llama field */
    static LlamaArchitecture.LlamaConfig config(ModelConfig c) {
        if (c.get("clip_qkv").isPresent()) {
            throw new IllegalArgumentException(c.source() + ": clip_qkv is set: IQuest-Coder's q/k/v clipping is not"
                    + " supported (the released models leave it null)");
        }
        if (c.getBoolean(false, "use_sliding_window")) {
            throw new IllegalArgumentException(c.source() + ": use_sliding_window is true: IQuest-Coder's sliding"
                    + " window is not supported (the released models leave it off)");
        }
        return LlamaArchitecture.LlamaConfig.from(c);
    }

    @Override
    public String name() {
        return "iquestcoder";
    }

    @Override
    public String description() {
        return "IQuest-Coder-V1-40B (Base-Stage1, Base, Instruct)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("IQuestCoderForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return config(config).layout();
    }
}
