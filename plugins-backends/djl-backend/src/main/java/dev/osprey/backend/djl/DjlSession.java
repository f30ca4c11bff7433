package dev.osprey.backend.djl;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.ClassificationRequest;
import dev.osprey.api.inference.ClassificationResult;
import dev.osprey.api.inference.EmbeddingRequest;
import dev.osprey.api.inference.EmbeddingResult;
import dev.osprey.api.inference.GenerationHandle;
import dev.osprey.api.inference.GenerationListener;
import dev.osprey.api.inference.GenerationRequest;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.inference.InvalidRequestException;
import dev.osprey.api.inference.PoolingSession;
import dev.osprey.api.inference.RerankRequest;
import dev.osprey.api.inference.RerankResult;
import dev.osprey.api.inference.SamplingParams;
import dev.osprey.api.inference.ServedModel;
import dev.osprey.api.inference.SessionStats;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.chat.ChatPromptEncoder;
import dev.osprey.media.MediaLoader;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.LoraWeights;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.MediaProcessor;

/**
 * A model served by the DJL backend: the weights, LoRA adapters attached unmerged to the one copy of
 * them, the tokenizer and the prompt encoder (the platform's one template precedence), and a {@link Scheduler}
 * that batches the requests.
 *
 * <p>{@link #generate} checks a request on the caller's thread: an unknown model, a sampling value out
 * of range, or a prompt beyond the context length (prompt + max_tokens, as vLLM checks) is reported
 * synchronously, through {@code listener.failed} with an {@link InvalidRequestException} naming the
 * field, before {@code generate} returns (the handle is then done). Everything else reaches the
 * listener from the scheduler thread.
 *
 * <p>Adapters: the scheduler keeps one batch per adapter and runs one forward pass per batch and step,
 * because a {@link Linear} applies one adapter to the whole batch; requests for different adapters are
 * decoded in the same step, in separate passes.
 *
 * <p>Any {@link LanguageModel} is served: a decoder of the SPI with batched passes, any other with one batch-1
 * pass per sequence and step (through its {@code newCache} and {@code forward}), and adapters only when it
 * declares its linear layers.
 */
final class DjlSession implements InferenceSession, PoolingSession {

    /** The most alternatives per position, as in OpenAI's API. */
    static final int MAX_TOP_LOGPROBS = 20;

    private final HfModel hf;
    private static final System.Logger LOG = System.getLogger(DjlSession.class.getName());

    private final LanguageModel model;
    /** "layer (format, shape): reason" for each int4 layer the packed kernel cannot take. */
    private final List<String> unpackedLayers;

    private final NDManager manager;
    private final NDManager work;
    private final String servedName;
    private final String modelId;
    private final int contextLength;
    private final int vocabSize;
    private final Set<Integer> eosTokenIds;
    /** Conversations and texts to ids; null without tokenizer.json. */
    private final PromptEncoder prompts;
    /** The family's media step (images in prompts), or null for a text model. */
    private final MediaProcessor media;
    /** Reads image references: data URIs; http(s) with setting media_http; local files in allowed_local_media_path. */
    private final MediaLoader mediaLoader;

    private final boolean localMedia;
    /** Template arguments of every conversation unless the request sets them: setting {@code enable_thinking}. */
    private final Map<String, Object> defaultTemplateArgs;

    private final Map<String, AdapterSlot> adapters = new ConcurrentHashMap<>();
    private final Scheduler scheduler;
    /** Embeddings and scores, for a model served for such a task ({@code task_type}). */
    private final PoolingTasks pooling;

    private final List<AutoCloseable> resources;
    private volatile boolean closed;

    /** A loaded adapter and the requests using it. */
    private static final class AdapterSlot {
        final Path folder;
        int users; // guarded by this
        boolean unloading; // guarded by this

        AdapterSlot(Path folder) {
            this.folder = folder;
        }
    }

    /**
     * Serves a model the model service loaded, attaches the options' adapters and starts the scheduler.
     *
     * @param manager the manager the model was loaded into, closed with the session after the model
     */
    static DjlSession open(LoadedModel loaded, NDManager manager, BackendOptions options) throws IOException {
        try {
            HfModel hf = loaded.unwrap(HfModel.class)
                    .orElseThrow(() -> new IllegalArgumentException(loaded.folder()
                            + ": the djl backend serves Hugging Face folders loaded by the model service"));
            return new DjlSession(
                    hf,
                    loaded.tokenizer().isPresent() ? loaded.prompts() : null,
                    loaded.unwrap(MediaProcessor.class).orElse(null),
                    manager,
                    options,
                    ServingSettings.parse(options.settings()),
                    List.of(loaded));
        } catch (IOException | RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    /**
     * Loads the model in {@code folder} with the given architectures (a program without the platform: tests,
     * benchmarks) and its own chat template, attaches its adapters and starts the scheduler.
     *
     * @param manager the session's own manager, closed with the session
     * @param resources closed with the session, after the model (architecture handles)
     */
    static DjlSession open(
            Path folder,
            Function<ModelConfig, ModelArchitecture> architectures,
            NDManager manager,
            BackendOptions options,
            List<AutoCloseable> resources)
            throws IOException {
        ServingSettings settings = ServingSettings.parse(options.settings());
        HfModel hf = ModelLoader.load(folder, architectures, manager, settings.dataType(), settings.quantization());
        try {
            MediaProcessor media = architectures.apply(hf.config()) instanceof DecoderFamily family
                    ? family.mediaProcessor(hf.config(), folder)
                    : null;
            ChatPromptEncoder own = hf.tokenizer() == null
                    ? null
                    : ChatPromptEncoder.ownTemplate(hf.tokenizer(), hf.tokenizerConfig(), hf.generationConfig());
            PromptEncoder prompts =
                    own != null && media != null ? own.withMediaPlaceholders(media.placeholders()) : own;
            List<AutoCloseable> owned = new ArrayList<>();
            owned.add(hf);
            owned.addAll(resources);
            return new DjlSession(hf, prompts, media, manager, options, settings, owned);
        } catch (IOException | RuntimeException e) {
            hf.close();
            throw e;
        }
    }

    /** @param resources closed with the session, in order, before the manager (the model, architecture handles) */
    private DjlSession(
            HfModel hf,
            PromptEncoder prompts,
            MediaProcessor media,
            NDManager manager,
            BackendOptions options,
            ServingSettings settings,
            List<AutoCloseable> resources)
            throws IOException {
        this.media = media;
        List<Path> roots = Arrays.stream(options.settings()
                        .getOrDefault("allowed_local_media_path", "")
                        .split(","))
                .map(String::trim)
                .filter(r -> !r.isEmpty())
                .map(r -> Path.of(r).toAbsolutePath())
                .toList();
        this.localMedia = !roots.isEmpty();
        boolean http = Boolean.parseBoolean(
                options.settings().getOrDefault("media_http", "false").trim());
        this.mediaLoader = new MediaLoader(
                localMedia ? roots.get(0) : null,
                new MediaLoader.Limits(64L << 20, Duration.ofSeconds(20), http, roots));
        this.hf = hf;
        this.model = hf.model();
        // int4 layers (--quant_bits 4 --quant_type int4, GPTQ and AWQ checkpoints) serve from the int4 kernel's layout
        this.unpackedLayers = ModelLoader.packForInference(model);
        if (!unpackedLayers.isEmpty()) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    hf.folder() + ": " + unpackedLayers.size()
                            + " int4 layer(s) are dequantized in every pass, as the int4 kernel cannot take them: "
                            + String.join("; ", unpackedLayers.subList(0, Math.min(unpackedLayers.size(), 4)))
                            + (unpackedLayers.size() > 4 ? "; ..." : ""));
        }
        this.manager = manager;
        this.resources = resources;
        this.servedName = options.servedName();
        this.modelId = options.model();
        this.vocabSize = model instanceof DecoderModel decoder
                ? decoder.spec().vocabSize()
                : hf.config().requireInt("vocab_size");
        int configured = hf.config().getInt(0, "max_position_embeddings");
        if (settings.maxModelLen() > 0 && configured > 0 && settings.maxModelLen() > configured) {
            throw new IllegalArgumentException(
                    "setting max_model_len " + settings.maxModelLen() + " exceeds max_position_embeddings " + configured
                            + " of " + hf.config().source());
        }
        this.contextLength = settings.maxModelLen() > 0
                ? settings.maxModelLen()
                : configured > 0
                        ? configured
                        : hf.tokenizerConfig()
                                .modelMaxLength()
                                .map(Long::intValue)
                                .orElse(2048);
        Set<Integer> eos = new HashSet<>(hf.generationConfig().eosTokenIds());
        if (eos.isEmpty()) {
            int fromConfig = hf.config().getInt(-1, "eos_token_id");
            if (fromConfig >= 0) {
                eos.add(fromConfig);
            }
        }
        this.eosTokenIds = Set.copyOf(eos);
        this.work = manager.newSubManager();
        this.pooling = new PoolingTasks(options.settings().get("task_type"), hf, work, contextLength);
        // --agent_template: tools, calls and results written as that ms-swift agent template writes them; a model
        // served for a pooling task renders no chats, so the setting does not apply to it
        this.prompts = prompts == null || !pooling.generates()
                ? prompts
                : ChatPromptEncoder.withAgentTemplate(
                        prompts, options.settings().get("agent_template"));
        this.defaultTemplateArgs = defaultTemplateArgs(options.settings());
        for (Map.Entry<String, String> a : options.adapters().entrySet()) {
            attachAdapter(a.getKey(), Path.of(a.getValue()));
        }
        HuggingFaceTokenizer tokenizer = hf.tokenizer();
        this.scheduler = new Scheduler(
                servedName,
                model,
                work,
                settings.maxNumSeqs(),
                settings.maxNumBatchedTokens(),
                settings.chunkedPrefill(),
                settings.cachedTokenLimit(contextLength),
                id -> tokenizer == null ? String.valueOf(id) : tokenizer.decode(new long[] {id}, false));
    }

    /** The session's root manager, for tests that count the arrays it holds. */
    NDManager manager() {
        return manager;
    }

    /** The int4 layers served by dequantizing in every pass, each with the reason the kernel cannot take it. */
    List<String> unpackedLayers() {
        return unpackedLayers;
    }

    /** The served network, for tests that need to reach into it. */
    LanguageModel model() {
        return model;
    }

    @Override
    public List<ServedModel> models() {
        List<ServedModel> served = new ArrayList<>();
        Set<String> inputs = new HashSet<>(ServedModel.TEXT_ONLY);
        if (media != null && prompts != null) {
            inputs.addAll(media.placeholders().keySet());
        }
        served.add(new ServedModel(servedName, "", contextLength, inputs));
        adapters.keySet().stream()
                .sorted()
                .forEach(name -> served.add(new ServedModel(name, servedName, contextLength, inputs)));
        return served;
    }

    @Override
    public GenerationHandle generate(GenerationRequest request, GenerationListener listener) {
        AdapterSlot slot = null;
        Sequence sequence = null;
        NDManager mediaOwner = null; // the prompt's media until the sequence holds them
        try {
            if (closed) {
                throw new IllegalStateException("the session is closed");
            }
            if (!pooling.generates()) {
                throw new InvalidRequestException(
                        "the model is served for task " + pooling.task() + ", which does not generate text; use "
                                + (pooling.task().equals(PoolingTasks.EMBEDDING)
                                        ? "POST /v1/embeddings"
                                        : "POST /v1/rerank"),
                        "model");
            }
            String adapter = adapterOf(request.model());
            String field = request.conversation() != null ? "messages" : "prompt";
            MediaProcessor.Processed withMedia = null;
            if (hasMedia(request)) {
                mediaOwner = work.newSubManager();
                withMedia = mediaPrompt(request, mediaOwner);
            }
            int[] prompt = withMedia != null ? withMedia.inputIds() : promptIds(request);
            ThinkingBudget budget = thinkingBudget(request);
            if (prompt.length == 0) {
                throw new InvalidRequestException("the prompt is empty", field);
            }
            SamplingParams sampling = request.sampling();
            int maxTokens = maxTokens(sampling, prompt.length, field);
            GenerationOptions options = options(sampling, maxTokens);
            long limit = scheduler.stats().maxCachedTokens();
            if (prompt.length + (long) maxTokens > limit) {
                throw new InvalidRequestException(
                        "the request needs " + (prompt.length + maxTokens) + " cached tokens ("
                                + prompt.length + " in the " + field + ", " + maxTokens
                                + " in the completion) but the server holds at most "
                                + limit + " (setting max_cached_tokens)",
                        "max_tokens");
            }
            if (adapter != null) {
                slot = reserve(adapter);
            }
            AdapterSlot used = slot;
            HuggingFaceTokenizer tokenizer = hf.tokenizer();
            TextStream text = new TextStream(
                    tokenizer == null ? null : ids -> tokenizer.decode(ids, true), prompt, sampling.stop());
            sequence = new Sequence(
                    request.requestId(),
                    adapter,
                    prompt,
                    maxTokens,
                    sampling,
                    options,
                    text,
                    listener,
                    () -> release(used),
                    budget);
            if (withMedia != null) {
                sequence.attachMedia(withMedia.media(), mediaOwner);
                mediaOwner = null;
            }
            scheduler.submit(sequence);
            return sequence;
        } catch (RuntimeException e) {
            if (mediaOwner != null) {
                mediaOwner.close();
            }
            if (sequence != null) {
                sequence.fail(e);
                return sequence;
            }
            release(slot);
            try {
                listener.failed(e);
            } catch (RuntimeException ignored) {
                // nothing more to tell
            }
            return new GenerationHandle() {
                @Override
                public void cancel() {}

                @Override
                public boolean isDone() {
                    return true;
                }
            };
        }
    }

    @Override
    public String task() {
        return pooling.task();
    }

    @Override
    public EmbeddingResult embed(EmbeddingRequest request) {
        return pooled(request.model(), adapter -> pooling.embed(request, adapter));
    }

    @Override
    public ClassificationResult classify(ClassificationRequest request) {
        return pooled(request.model(), adapter -> pooling.classify(request, adapter));
    }

    @Override
    public RerankResult rerank(RerankRequest request) {
        return pooled(request.model(), adapter -> pooling.rerank(request, adapter));
    }

    /** Runs a pooling pass through the adapter the model name selects, holding it against unloading meanwhile. */
    private <T> T pooled(String model, Function<String, T> pass) {
        if (closed) {
            throw new IllegalStateException("the session is closed");
        }
        String adapter = adapterOf(model);
        AdapterSlot slot = adapter == null ? null : reserve(adapter);
        try {
            return pass.apply(adapter);
        } finally {
            release(slot);
        }
    }

    /** The adapter a request's model name selects, null for the base model. */
    private String adapterOf(String name) {
        if (name.equals(servedName) || name.equals(modelId)) {
            return null;
        }
        if (adapters.containsKey(name)) {
            return name;
        }
        throw new InvalidRequestException(
                "The model `" + name + "` does not exist; this server has "
                        + models().stream().map(ServedModel::id).toList(),
                "model");
    }

    private static boolean hasMedia(GenerationRequest request) {
        return request.conversation() != null
                && request.conversation().messages().stream()
                        .flatMap(m -> m.content().stream())
                        .anyMatch(p -> !p.isText());
    }

    /**
     * A conversation with media parts as the model reads it: the template's placeholders expanded by the family's
     * media step, the images loaded (data URIs; http(s) with setting {@code media_http}; local files only inside
     * setting {@code allowed_local_media_path}) and pre-processed into {@code owner}.
     */
    private MediaProcessor.Processed mediaPrompt(GenerationRequest request, NDManager owner) {
        if (media == null || prompts == null) {
            throw new InvalidRequestException(
                    "model `" + servedName + "` does not accept images or videos; it reads text", "messages");
        }
        if (prompts.template().isEmpty()) {
            throw new InvalidRequestException(
                    hf.folder() + " has no chat_template, so it cannot answer chat requests", "messages");
        }
        for (var m : request.conversation().messages()) {
            for (ContentPart part : m.content()) {
                String ref = part.value();
                boolean remote = ref.startsWith("data:") || ref.startsWith("http://") || ref.startsWith("https://");
                if (!part.isText() && !remote && !localMedia) {
                    throw new InvalidRequestException(
                            "local " + part.type() + " files are not served: start the server with setting"
                                    + " allowed_local_media_path, or send a data: URL",
                            "messages");
                }
            }
        }
        Map<String, Object> args = new HashMap<>(defaultTemplateArgs);
        args.putAll(request.templateArgs());
        EncodedPrompt encoded;
        MediaProcessor.Processed processed;
        try {
            encoded = prompts.encode(request.conversation(), new RenderOptions(true, RenderOptions.ALL, args));
            processed = media.process(encoded, mediaLoader, owner);
        } catch (InvalidRequestException e) {
            throw e;
        } catch (RuntimeException e) { // an unreadable image, a template without placeholders: the request's fault
            throw new InvalidRequestException(e.getMessage(), "messages");
        }
        if (request.assistantPrefix().isEmpty()) {
            return processed;
        }
        int[] prefix = tokenIds(request.assistantPrefix());
        int[] ids = Arrays.copyOf(processed.inputIds(), processed.inputIds().length + prefix.length);
        System.arraycopy(prefix, 0, ids, processed.inputIds().length, prefix.length);
        return new MediaProcessor.Processed(ids, ids.clone(), processed.media());
    }

    private int[] promptIds(GenerationRequest request) {
        if (request.promptTokenIds() != null) {
            int[] ids = request.promptTokenIds().stream()
                    .mapToInt(Integer::intValue)
                    .toArray();
            for (int id : ids) {
                if (id < 0 || id >= vocabSize) {
                    throw new InvalidRequestException(
                            "token id " + id + " is outside the vocabulary [0, " + vocabSize + ")", "prompt");
                }
            }
            return ids;
        }
        if (request.conversation() == null) {
            return encode(request.prompt(), null);
        }
        int[] ids = encode(null, request.conversation(), request.templateArgs());
        if (request.assistantPrefix().isEmpty()) {
            return ids;
        }
        // the forced opening of the answer, tokenized on its own as the template's segments are
        int[] prefix = tokenIds(request.assistantPrefix());
        int[] all = Arrays.copyOf(ids, ids.length + prefix.length);
        System.arraycopy(prefix, 0, all, ids.length, prefix.length);
        return all;
    }

    /** A text's ids without special tokens. */
    private int[] tokenIds(String text) {
        return Arrays.stream(hf.tokenizer().encode(text, false, false).getIds())
                .mapToInt(Math::toIntExact)
                .toArray();
    }

    /** The thinking budget of a chat request whose template thinks; null for none. */
    private ThinkingBudget thinkingBudget(GenerationRequest request) {
        if (request.thinkingBudget() < 0 || request.conversation() == null) {
            return null;
        }
        String end = prompts.template().map(t -> t.thinkingEnd()).orElse("");
        if (end.isEmpty()) {
            throw new InvalidRequestException(
                    "thinking_budget needs a chat template that thinks; "
                            + prompts.template().map(t -> t.name()).orElse("none") + " does not",
                    "thinking_budget");
        }
        return new ThinkingBudget(request.thinkingBudget(), tokenIds(end), tokenIds("\n" + end + "\n\n"));
    }

    /** Setting {@code enable_thinking} (true or false), the default of every request's {@code chat_template_kwargs}. */
    static Map<String, Object> defaultTemplateArgs(Map<String, String> settings) {
        String thinking = settings.get("enable_thinking");
        if (thinking == null || thinking.isBlank()) {
            return Map.of();
        }
        String t = thinking.trim().toLowerCase(Locale.ROOT);
        if (!t.equals("true") && !t.equals("false")) {
            throw new IllegalArgumentException("setting enable_thinking must be true or false, was '" + thinking + "'");
        }
        return Map.of("enable_thinking", Boolean.parseBoolean(t));
    }

    @Override
    public Optional<ChatTemplate> chatTemplate(String model) {
        adapterOf(model);
        return prompts == null ? Optional.empty() : prompts.template();
    }

    private int[] encode(String text, Conversation conversation) {
        return encode(text, conversation, Map.of());
    }

    private int[] encode(String text, Conversation conversation, Map<String, Object> templateArgs) {
        String field = conversation != null ? "messages" : "prompt";
        if (prompts == null) {
            throw new InvalidRequestException(hf.folder() + " has no tokenizer.json: send token ids", field);
        }
        if ((text == null) == (conversation == null)) {
            throw new InvalidRequestException("give exactly one of a text and a conversation", field);
        }
        if (conversation != null) {
            if (prompts.template().isEmpty()) {
                throw new InvalidRequestException(
                        hf.folder() + " has no chat_template in tokenizer_config.json, so it cannot"
                                + " answer chat requests; use completions",
                        "messages");
            }
            Map<String, Object> args = new HashMap<>(defaultTemplateArgs);
            args.putAll(templateArgs);
            return prompts.forGeneration(conversation, args);
        }
        // completions get the BOS token the tokenizer adds by default (the loader turns special tokens off for
        // templates)
        return prompts.encodeText(text);
    }

    /** max_tokens, or what the context leaves when it is -1; the prompt and completion must fit the context. */
    private int maxTokens(SamplingParams sampling, int promptLength, String field) {
        if (promptLength >= contextLength) {
            throw new InvalidRequestException(
                    "This model's maximum context length is " + contextLength + " tokens. However, your " + field
                            + " resulted in " + promptLength + " tokens. Please reduce the length of the " + field
                            + ".",
                    field);
        }
        int max = sampling.maxTokens();
        if (max == -1) {
            return contextLength - promptLength;
        }
        if (max < 1) {
            throw new InvalidRequestException("max_tokens must be at least 1, was " + max, "max_tokens");
        }
        if ((long) promptLength + max > contextLength) {
            throw new InvalidRequestException(
                    "This model's maximum context length is " + contextLength + " tokens. However, you"
                            + " requested " + (promptLength + max) + " tokens (" + promptLength + " in the " + field
                            + ", " + max
                            + " in the completion). Please reduce the length of the " + field + " or completion.",
                    field);
        }
        return max;
    }

    /** The model core's options for one request, each value checked with the field it came from. */
    private GenerationOptions options(SamplingParams s, int maxTokens) {
        check(s.temperature() >= 0, "temperature must be >= 0, was " + s.temperature(), "temperature");
        check(s.topP() > 0 && s.topP() <= 1, "top_p must be in (0, 1], was " + s.topP(), "top_p");
        check(s.topK() >= -1, "top_k must be -1 (off) or positive, was " + s.topK(), "top_k");
        check(s.minP() >= 0 && s.minP() <= 1, "min_p must be in [0, 1], was " + s.minP(), "min_p");
        check(
                s.repetitionPenalty() > 0,
                "repetition_penalty must be > 0, was " + s.repetitionPenalty(),
                "repetition_penalty");
        check(
                s.presencePenalty() >= -2 && s.presencePenalty() <= 2,
                "presence_penalty must be in [-2, 2], was " + s.presencePenalty(),
                "presence_penalty");
        check(
                s.frequencyPenalty() >= -2 && s.frequencyPenalty() <= 2,
                "frequency_penalty must be in [-2, 2], was " + s.frequencyPenalty(),
                "frequency_penalty");
        check(
                s.topLogprobs() >= 0 && s.topLogprobs() <= MAX_TOP_LOGPROBS,
                "top_logprobs must be in [0, " + MAX_TOP_LOGPROBS + "], was " + s.topLogprobs(),
                "top_logprobs");
        for (int id : s.stopTokenIds()) {
            check(
                    id >= 0 && id < vocabSize,
                    "stop token id " + id + " is outside the vocabulary [0, " + vocabSize + ")",
                    "stop_token_ids");
        }
        List<String> stops = s.stop().stream().filter(x -> !x.isEmpty()).toList();
        check(stops.isEmpty() || hf.tokenizer() != null, "stop strings need the model's tokenizer.json", "stop");
        // as vLLM: a temperature this close to 0 means greedy
        boolean sample = s.temperature() >= 1e-5;
        long seed = s.seed() == -1 ? ThreadLocalRandom.current().nextLong() : s.seed();
        return new GenerationOptions(
                maxTokens,
                sample,
                sample ? s.temperature() : 1.0,
                Math.max(0, s.topK()),
                s.topP(),
                s.minP(),
                s.repetitionPenalty(),
                s.presencePenalty(),
                s.frequencyPenalty(),
                seed,
                eosTokenIds,
                Set.copyOf(s.stopTokenIds()),
                stops);
    }

    private static void check(boolean ok, String message, String field) {
        if (!ok) {
            throw new InvalidRequestException(message, field);
        }
    }

    private AdapterSlot reserve(String adapter) {
        AdapterSlot slot = adapters.get(adapter);
        if (slot != null) {
            synchronized (slot) {
                if (!slot.unloading) {
                    slot.users++;
                    return slot;
                }
            }
        }
        throw new InvalidRequestException(
                "The model `" + adapter + "` does not exist (the adapter is being removed)", "model");
    }

    private static void release(AdapterSlot slot) {
        if (slot != null) {
            synchronized (slot) {
                slot.users--;
                slot.notifyAll();
            }
        }
    }

    @Override
    public void loadAdapter(String name, String path) {
        if (name.equals(servedName) || name.equals(modelId) || adapters.containsKey(name)) {
            throw new IllegalArgumentException("the name '" + name + "' is already served");
        }
        try {
            scheduler.call(() -> {
                attachAdapter(name, Path.of(path));
                return null;
            });
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            // the loader's own refusals are IllegalArgumentExceptions naming the file; an unreadable file is one too
            String why = e instanceof NoSuchFileException ? "missing file " + e.getMessage() : e.getMessage();
            throw new IllegalArgumentException("could not load adapter '" + name + "' from " + path + ": " + why, e);
        }
    }

    /** Attaches a PEFT adapter to every linear layer it targets; on a failure, detaches what it attached. */
    private void attachAdapter(String name, Path folder) throws IOException {
        if (name.equals(servedName) || name.equals(modelId) || adapters.containsKey(name)) {
            throw new IllegalArgumentException("adapter name '" + name + "' is already served");
        }
        List<Linear> linears = LoraMerge.linearsOf(model); // names the architecture when it takes no adapters
        try {
            PeftAdapter.attach(folder, linears, name, manager);
        } catch (IOException | RuntimeException e) {
            detachAdapter(name);
            throw e;
        }
        adapters.put(name, new AdapterSlot(folder));
    }

    private void detachAdapter(String name) {
        for (Linear linear : LoraMerge.linearsOf(model)) {
            LoraWeights lora = linear.detach(name);
            if (lora != null) {
                lora.a().close();
                lora.b().close();
            }
        }
    }

    @Override
    public void unloadAdapter(String name) {
        AdapterSlot slot = adapters.get(name);
        if (slot == null) {
            throw new InvalidRequestException("no adapter named '" + name + "' is loaded", "lora_name");
        }
        synchronized (slot) {
            slot.unloading = true;
            while (slot.users > 0) { // the requests using it finish first
                try {
                    slot.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(
                            "interrupted while waiting for the requests of adapter '" + name + "'");
                }
            }
        }
        try {
            scheduler.call(() -> {
                detachAdapter(name);
                adapters.remove(name);
                return null;
            });
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("could not unload adapter '" + name + "': " + e.getMessage(), e);
        }
    }

    @Override
    public List<Integer> tokenize(String model, String text, Conversation conversation) {
        adapterOf(model);
        return Arrays.stream(encode(text, conversation)).boxed().toList();
    }

    @Override
    public String detokenize(String model, List<Integer> tokenIds) {
        adapterOf(model);
        HuggingFaceTokenizer tokenizer = hf.tokenizer();
        if (tokenizer == null) {
            throw new InvalidRequestException(hf.folder() + " has no tokenizer.json", "tokens");
        }
        for (int id : tokenIds) {
            check(
                    id >= 0 && id < vocabSize,
                    "token id " + id + " is outside the vocabulary [0, " + vocabSize + ")",
                    "tokens");
        }
        return tokenizer.decode(tokenIds.stream().mapToLong(Integer::longValue).toArray(), false);
    }

    @Override
    public Optional<SessionStats> stats() {
        return Optional.of(scheduler.stats());
    }

    @Override
    public boolean healthy() {
        return !closed && scheduler.isAlive();
    }

    private void stopAndFree() {
        scheduler.close();
        for (String name : List.copyOf(adapters.keySet())) {
            detachAdapter(name);
        }
        adapters.clear();
        work.close();
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                // an architecture handle that cannot close has nothing left to free
            }
        }
        manager.close();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (scheduler.isSchedulerThread()) {
            // closed from a listener: the scheduler is mid-step, so free everything once it has stopped
            Thread closer = new Thread(this::stopAndFree, "osprey-djl-close");
            closer.setDaemon(true);
            closer.start();
        } else {
            stopAndFree();
        }
    }
}
