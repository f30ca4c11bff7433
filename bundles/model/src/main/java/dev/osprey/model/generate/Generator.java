package dev.osprey.model.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.inference.SamplingParams;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.KvCache;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.MediaTensors;

/**
 * Generates continuations for a batch of prompts of any lengths: prompts are left-padded with an
 * attention mask, prefilled once into a KV cache, then extended one token per step for every sequence
 * still running. Each sequence stops at EOS, a stop token, a stop string, or the token limit.
 */
public final class Generator {

    /** Called with each new token, in order, from the generating thread. */
    public interface TokenListener {
        void token(int row, int tokenId);
    }

    /**
     * One sequence's result.
     *
     * @param tokens the new tokens (the stop token included, the EOS included)
     * @param text the decoded new text, cut before a stop string; null without a decoder
     * @param finishReason {@code stop} (EOS, stop token or stop string) or {@code length}
     */
    public record Result(int[] tokens, String text, String finishReason) {}

    private Generator() {}

    /**
     * @param prompts token ids per sequence, each non-empty
     * @param decoder token ids to text, for stop strings and {@link Result#text()}; may be null
     * @param listener told of every token as it is chosen; may be null
     */
    public static List<Result> generate(
            LanguageModel model,
            List<int[]> prompts,
            GenerationOptions options,
            String adapter,
            Function<int[], String> decoder,
            TokenListener listener) {
        return generate(model, prompts, null, options, adapter, decoder, listener);
    }

    /**
     * Generates for prompts with media: a multimodal model reads {@code media} in the prefill, where its features
     * fill the prompts' placeholder tokens; the decoding steps carry none.
     *
     * @param media the prompts' images or video, items in the order of their placeholders, prompt by prompt; null
     *        for none
     */
    public static List<Result> generate(
            LanguageModel model,
            List<int[]> prompts,
            MediaTensors media,
            GenerationOptions options,
            String adapter,
            Function<int[], String> decoder,
            TokenListener listener) {
        int batch = prompts.size();
        if (batch == 0) {
            return List.of();
        }
        if (!options.stopStrings().isEmpty() && decoder == null) {
            throw new IllegalArgumentException("stop strings need a tokenizer to decode the generated tokens");
        }
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        if (prompts.stream().anyMatch(p -> p.length == 0)) {
            throw new IllegalArgumentException("every prompt needs at least one token");
        }
        long[] ids = new long[batch * longest];
        long[] mask = new long[batch * longest];
        for (int r = 0; r < batch; r++) {
            int[] p = prompts.get(r);
            int offset = r * longest + longest - p.length; // left padding
            for (int i = 0; i < p.length; i++) {
                ids[offset + i] = p[i];
                mask[offset + i] = 1;
            }
        }
        List<List<Integer>> generated = new ArrayList<>();
        List<Map<Integer, Integer>> counts = new ArrayList<>();
        Random[] randoms = new Random[batch];
        String[] finish = new String[batch];
        String[] texts = new String[batch];
        for (int r = 0; r < batch; r++) {
            generated.add(new ArrayList<>());
            counts.add(new HashMap<>());
            randoms[r] = new Random(SamplingParams.choiceSeed(options.seed(), r)); // rows of one prompt differ
        }
        NDManager parent = model.parameters().values().iterator().next().getManager();
        try (NDManager m = parent.newSubManager();
                KvCache cache = model.newCache(batch)) {
            NDArray maskArray = m.create(mask, new Shape(batch, longest)); // (B, P)
            NDArray input = m.create(ids, new Shape(batch, longest)); // (B, P)
            int running = batch;
            for (int step = 0; step < options.maxNewTokens() && running > 0; step++) {
                float[] logits;
                try (NDArray out = model.forward(ForwardRequest.builder(input)
                                .optAttentionMask(maskArray)
                                .optMedia(step == 0 ? media : null)
                                .optCache(cache)
                                .optLastPositionOnly(true)
                                .optAdapter(adapter)
                                .build())
                        .logits()) { // (B, 1, V)
                    logits = out.toFloatArray();
                }
                int vocab = logits.length / batch;
                long[] next = new long[batch];
                for (int r = 0; r < batch; r++) {
                    if (finish[r] != null) {
                        continue; // finished rows still step, fed a pad token nobody reads
                    }
                    float[] row = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
                    int[] context = concat(prompts.get(r), generated.get(r));
                    int token = LogitsProcessor.next(row, context, counts.get(r), options, randoms[r]);
                    generated.get(r).add(token);
                    counts.get(r).merge(token, 1, Integer::sum);
                    next[r] = token;
                    if (listener != null) {
                        listener.token(r, token);
                    }
                    if (options.eosTokenIds().contains(token)
                            || options.stopTokenIds().contains(token)) {
                        finish[r] = "stop";
                    } else if (decoder != null && !options.stopStrings().isEmpty()) {
                        String text = decoder.apply(toArray(generated.get(r)));
                        int cut = firstStop(text, options.stopStrings());
                        if (cut >= 0) {
                            finish[r] = "stop";
                            texts[r] = text.substring(0, cut);
                        }
                    }
                    if (finish[r] != null) {
                        running--;
                    }
                }
                NDArray oldInput = input;
                NDArray oldMask = maskArray;
                input = m.create(next, new Shape(batch, 1)); // (B, 1)
                maskArray =
                        maskArray.concat(m.ones(new Shape(batch, 1), maskArray.getDataType()), 1); // (B, P + step + 1)
                oldInput.close();
                oldMask.close();
            }
        }
        List<Result> results = new ArrayList<>();
        for (int r = 0; r < batch; r++) {
            int[] tokens = toArray(generated.get(r));
            String text = texts[r] != null ? texts[r] : decoder == null ? null : decoder.apply(tokens);
            results.add(new Result(tokens, text, finish[r] != null ? finish[r] : "length"));
        }
        return results;
    }

    private static int firstStop(String text, List<String> stops) {
        int first = -1;
        for (String s : stops) {
            int at = text.indexOf(s);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        return first;
    }

    private static int[] concat(int[] prompt, List<Integer> generated) {
        int[] all = Arrays.copyOf(prompt, prompt.length + generated.size());
        for (int i = 0; i < generated.size(); i++) {
            all[prompt.length + i] = generated.get(i);
        }
        return all;
    }

    private static int[] toArray(List<Integer> list) {
        return list.stream().mapToInt(Integer::intValue).toArray();
    }
}
