package dev.osprey.devtools.impl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.Conversation;
import dev.osprey.checkpoint.GenerationConfig;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;
import dev.osprey.model.load.HfModel;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code osprey generate}: continues prompts given as token ids (or as text, with a tokenizer) and
 * prints the new token ids, and the text when the model has a tokenizer. Defaults come from the
 * model's generation_config.json, as in transformers.
 */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = "Generate from token ids or text and print the new token ids (and text).")
public class GenerateCommand extends ModelCommand implements Callable<Integer> {

    @Option(
            names = "--input_ids",
            paramLabel = "JSON",
            description = "prompts as token ids, e.g. '[[1,2,3],[4,5]]' (rows may differ in length)")
    String inputIds;

    @Option(
            names = "--prompt",
            paramLabel = "TEXT",
            description = "a prompt as text (needs a tokenizer in the model folder)")
    List<String> prompts;

    @Option(names = "--chat", description = "treat each --prompt as a user message and apply the chat template")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "a system message, with --chat")
    String system;

    @Option(
            names = "--template",
            paramLabel = "NAME",
            description =
                    "a built-in chat template (chatml, qwen3, llama3, ...) instead of the model's own, with --chat")
    String template;

    @Option(names = "--max_new_tokens", paramLabel = "N", description = "default: generation_config.json, else 64")
    Integer maxNewTokens;

    @Option(names = "--do_sample", paramLabel = "BOOL", arity = "1", description = "sample (true) or greedy (false)")
    Boolean doSample;

    @Option(names = "--temperature", paramLabel = "T")
    Double temperature;

    @Option(names = "--top_k", paramLabel = "K")
    Integer topK;

    @Option(names = "--top_p", paramLabel = "P")
    Double topP;

    @Option(names = "--min_p", paramLabel = "P", defaultValue = "0")
    double minP;

    @Option(names = "--repetition_penalty", paramLabel = "R")
    Double repetitionPenalty;

    @Option(names = "--presence_penalty", paramLabel = "P", defaultValue = "0")
    double presencePenalty;

    @Option(names = "--frequency_penalty", paramLabel = "P", defaultValue = "0")
    double frequencyPenalty;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42")
    long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "a stop string (repeatable)")
    List<String> stop = new ArrayList<>();

    @Option(names = "--stop_token_ids", paramLabel = "ID", split = ",", description = "stop token ids, beyond EOS")
    List<Integer> stopTokenIds = new ArrayList<>();

    @Option(names = "--stream", description = "print each token id as it is generated")
    boolean stream;

    @Override
    public Integer call() throws Exception {
        if ((inputIds == null) == (prompts == null)) {
            throw new IllegalArgumentException("give either --input_ids or --prompt");
        }
        return withModel();
    }

    /** The prompt's ids as the model expects a chat, by the platform's one template precedence ({@code --template} first). */
    private int[] chatPromptIds(String prompt) {
        List<ChatMessage> messages = new ArrayList<>();
        if (system != null) {
            messages.add(ChatMessage.of("system", system));
        }
        messages.add(ChatMessage.of("user", prompt));
        return prompts().forGeneration(Conversation.of(messages), Map.of());
    }

    @Override
    String template() {
        return template;
    }

    @Override
    Integer run(HfModel model, String adapter, NDManager manager) {
        HuggingFaceTokenizer tokenizer = model.tokenizer();
        List<int[]> rows = new ArrayList<>();
        if (inputIds != null) {
            List<long[]> ids = TokenIds.parse("--input_ids", inputIds, false);
            TokenIds.checkVocabulary("--input_ids", ids, model.config().requireInt("vocab_size"), false);
            ids.forEach(r -> rows.add(Arrays.stream(r).mapToInt(x -> (int) x).toArray()));
        } else {
            if (tokenizer == null) {
                throw new IllegalArgumentException(model.folder() + " has no tokenizer.json: use --input_ids");
            }
            for (String p : prompts) {
                rows.add(
                        chat
                                ? chatPromptIds(p)
                                : Arrays.stream(tokenizer.encode(p).getIds())
                                        .mapToInt(x -> (int) x)
                                        .toArray());
            }
        }
        GenerationConfig defaults = model.generationConfig();
        boolean sample = doSample != null ? doSample : defaults.doSample().orElse(false);
        Set<Integer> eos = new HashSet<>(defaults.eosTokenIds());
        GenerationOptions options = new GenerationOptions(
                maxNewTokens != null ? maxNewTokens : defaults.maxNewTokens().orElse(64),
                sample,
                temperature != null ? temperature : defaults.temperature().orElse(1.0),
                topK != null ? topK : defaults.topK().orElse(sample ? 50 : 0),
                topP != null ? topP : defaults.topP().orElse(1.0),
                minP,
                repetitionPenalty != null
                        ? repetitionPenalty
                        : defaults.repetitionPenalty().orElse(1.0),
                presencePenalty,
                frequencyPenalty,
                seed,
                eos,
                new HashSet<>(stopTokenIds),
                stop);
        Function<int[], String> decoder = tokenizer == null
                ? null
                : ids -> tokenizer.decode(Arrays.stream(ids).asLongStream().toArray(), true);
        List<Generator.Result> results = Generator.generate(
                model.model(),
                rows,
                options,
                adapter,
                decoder,
                stream
                        ? (row, token) -> {
                            out().printf("row %d: %d%n", row, token);
                            out().flush();
                        }
                        : null);
        for (int r = 0; r < results.size(); r++) {
            Generator.Result result = results.get(r);
            out().printf("row %d new token ids: %s (%s)%n", r, Arrays.toString(result.tokens()), result.finishReason());
            if (result.text() != null) {
                out().printf("row %d text: %s%n", r, result.text());
            }
        }
        out().flush();
        return 0;
    }
}
