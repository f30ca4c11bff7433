package dev.osprey.models.impl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.model.GenerationDefaults;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.api.model.TextTokenizer;
import dev.osprey.chat.ChatEncoder;
import dev.osprey.chat.ChatPromptEncoder;
import dev.osprey.checkpoint.GenerationConfig;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.spi.MediaProcessor;

/**
 * A loaded Hugging Face folder as the API's {@link LoadedModel}; {@link #unwrap} gives the {@link HfModel}, and a
 * multimodal family's {@link MediaProcessor}.
 */
final class LoadedHfModel implements LoadedModel {

    /** The context length when neither config.json nor tokenizer_config.json gives one. */
    private static final int DEFAULT_CONTEXT = 2048;

    private final HfModel hf;
    private final MediaProcessor media;
    private final DeviceId device;
    private final List<String> adapters;
    private final ChatPromptEncoder prompts;
    private final TextTokenizer tokenizer;
    private final GenerationDefaults generation;
    private final List<AutoCloseable> held;
    private boolean closed;

    /**
     * @param prompts the encoder, or null when the folder has no tokenizer.json
     * @param held closed after the model, in order (extension handles, the model's own manager)
     */
    LoadedHfModel(
            HfModel hf, DeviceId device, List<String> adapters, ChatPromptEncoder prompts, List<AutoCloseable> held) {
        this(hf, device, adapters, prompts, null, held);
    }

    /** @param media the family's media step, or null for a text model */
    LoadedHfModel(
            HfModel hf,
            DeviceId device,
            List<String> adapters,
            ChatPromptEncoder prompts,
            MediaProcessor media,
            List<AutoCloseable> held) {
        this.media = media;
        this.hf = hf;
        this.device = device;
        this.adapters = List.copyOf(adapters);
        this.prompts = prompts;
        this.held = new ArrayList<>(held);
        this.tokenizer =
                hf.tokenizer() == null ? null : new HfTextTokenizer(hf.tokenizer(), new ChatEncoder(hf.tokenizer()));
        this.generation = generationDefaults(hf, prompts);
    }

    private static GenerationDefaults generationDefaults(HfModel hf, ChatPromptEncoder prompts) {
        GenerationConfig g = hf.generationConfig();
        Set<Integer> eos = new TreeSet<>(g.eosTokenIds());
        if (eos.isEmpty()) {
            int fromConfig = hf.config().getInt(-1, "eos_token_id");
            if (fromConfig >= 0) {
                eos.add(fromConfig);
            }
        }
        OptionalInt bos = prompts != null
                ? prompts.bosTokenId()
                : hf.tokenizerConfig().addBosToken().orElse(false)
                                && g.bosTokenId().isPresent()
                        ? OptionalInt.of(g.bosTokenId().get())
                        : OptionalInt.empty();
        int configured = hf.config().getInt(0, "max_position_embeddings");
        int context = configured > 0
                ? configured
                : hf.tokenizerConfig()
                        .modelMaxLength()
                        .map(l -> (int) Math.min(l, Integer.MAX_VALUE))
                        .orElse(DEFAULT_CONTEXT);
        return new GenerationDefaults(
                eos, bos, context, g.temperature(), g.topP(), optionalInt(g.topK()), optionalInt(g.maxNewTokens()));
    }

    private static OptionalInt optionalInt(Optional<Integer> value) {
        return value.map(OptionalInt::of).orElse(OptionalInt.empty());
    }

    @Override
    public LanguageModel model() {
        return hf.model();
    }

    @Override
    public ModelConfig config() {
        return hf.config();
    }

    @Override
    public Path folder() {
        return hf.folder();
    }

    @Override
    public DeviceId device() {
        return device;
    }

    @Override
    public Optional<TextTokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    @Override
    public PromptEncoder prompts() {
        if (prompts == null) {
            throw new IllegalArgumentException(
                    hf.folder() + " has no tokenizer.json, so it cannot encode prompts: send token ids");
        }
        return prompts;
    }

    @Override
    public GenerationDefaults generation() {
        return generation;
    }

    @Override
    public List<String> adapters() {
        return adapters;
    }

    @Override
    public <T> Optional<T> unwrap(Class<T> type) {
        if (type.isInstance(hf)) {
            return Optional.of(type.cast(hf));
        }
        return type.isInstance(media) ? Optional.of(type.cast(media)) : Optional.empty();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        hf.close();
        closeAll(held);
    }

    /** Closes each, going on past failures: a handle that cannot close has nothing left to free. */
    static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                // nothing left to free
            }
        }
    }

    @Override
    public String toString() {
        return "LoadedModel[" + hf.folder() + (adapters.isEmpty() ? "" : ", adapters " + adapters) + ", " + device
                + "]";
    }
}
