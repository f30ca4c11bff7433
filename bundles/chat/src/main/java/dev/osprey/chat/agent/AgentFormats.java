package dev.osprey.chat.agent;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The built-in agent formats by their ms-swift {@code --agent_template} names. */
public final class AgentFormats {

    private static final Map<String, AgentFormat> BY_NAME = new LinkedHashMap<>();

    static {
        for (AgentFormat f : List.of(
                new HermesFormat(),
                new Qwen3CoderFormat(),
                new ReactFormat(false),
                new ReactFormat(true),
                new Llama3Format("llama3"),
                new Llama3Format("llama4"),
                new DeepSeekV31Format(),
                new Glm4Format(false),
                new Glm4Format(true))) {
            BY_NAME.put(f.name(), f);
        }
    }

    private AgentFormats() {}

    public static Optional<AgentFormat> find(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }
}
