package dev.osprey.align.rlhf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.osprey.align.reward.RewardRunner;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.reward.RewardFunction;
import dev.osprey.chat.ChatEncoder;
import dev.osprey.chat.JinjaChatTemplate;
import dev.osprey.dataset.BadRows;
import dev.osprey.dataset.DatasetOptions;
import dev.osprey.dataset.DatasetReader;
import dev.osprey.dataset.DatasetRow;
import dev.osprey.dataset.DatasetSpec;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelSaver;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.train.optim.OptimizerSteps;
import dev.osprey.train.report.LossPlot;
import dev.osprey.train.sft.ModelProvider;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.SftExample;
import dev.osprey.train.sft.Checkpoints;
import dev.osprey.train.sft.SftJob;
import dev.osprey.train.sft.Tuner;
import dev.osprey.train.sft.SftTrainer;
import dev.osprey.train.sft.TrainingListener;

/**
 * One alignment run, from arguments to checkpoints: DPO, KTO, SimPO, ORPO, CPO, a reward model, or GRPO.
 * Reads and encodes the datasets through the chat template, sets up the tuner (LoRA, QLoRA or full) and
 * the reference (the base with the adapter off, or a frozen copy for full tuning), trains, and writes
 * {@code logging.jsonl} (TRL's metric names), {@code args.json}, the checkpoints, {@code loss.png} and,
 * with {@code --merge_lora}, a merged model. The engine behind {@code osprey rlhf} and the Java API.
 *
 * <p>GRPO's reward functions are acquired by name when the job starts and held until it ends: a job keeps
 * the instance it started with even if the providing bundle is removed meanwhile (the reward runner warns
 * once); a later job naming it fails with the names installed.
 */
public final class RlhfJob {

    /**
     * What a run produced.
     *
     * @param lastCheckpoint the final checkpoint folder
     * @param mergedModel the merged model ({@code --merge_lora}), or null
     * @param steps every optimizer step's record, as written to logging.jsonl
     * @param plot the loss plot, or null
     */
    public record Result(Path lastCheckpoint, Path mergedModel, List<Map<String, Object>> steps, Path plot) {

        /** One metric of every step, in order. */
        public double[] metric(String name) {
            return steps.stream().mapToDouble(s -> s.get(name) instanceof Number n ? n.doubleValue() : Double.NaN).toArray();
        }
    }

    /** Where GRPO's reward functions come from, by {@code --reward_funcs} name. */
    public interface Rewards {

        /**
         * @throws IllegalArgumentException naming the missing reward and those installed
         */
        ExtensionHandle<RewardFunction> acquire(String name);

        /** The platform's installed reward plugins. */
        static Rewards of(ExtensionRegistry registry) {
            return name -> registry.require(RewardFunction.class, name);
        }
    }

    /** The name of the trained LoRA adapter while training. */
    public static final String ADAPTER_NAME = SftJob.ADAPTER_NAME;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RlhfArguments args;
    private final ModelProvider provider;
    private final Rewards rewards;
    private final TrainingListener listener;

    /**
     * @param args validated here, before any work
     * @param provider where the model and named templates come from (not closed by the job)
     * @param rewards the reward functions for GRPO; may be null for the other methods
     */
    public RlhfJob(RlhfArguments args, ModelProvider provider, Rewards rewards, TrainingListener listener) {
        this.args = args.validate();
        if (args.common().resumeFromCheckpoint() != null) {
            throw new IllegalArgumentException("--resume_from_checkpoint is not available for osprey rlhf yet (only sft and pt)");
        }
        this.provider = provider;
        this.rewards = rewards;
        this.listener = listener == null ? new TrainingListener() { } : listener;
    }

    /** Runs the whole job on {@code parentManager}'s device; everything it allocates is freed at the end. */
    public Result train(NDManager parentManager) throws IOException {
        SftArguments c = args.common();
        List<ExtensionHandle<RewardFunction>> handles = new ArrayList<>();
        try (NDManager manager = parentManager.newSubManager()) {
            if (args.type() == RlhfArguments.Type.GRPO) {
                // acquired first: a missing reward fails before minutes of model loading
                for (String name : args.rewardFuncs()) {
                    if (rewards == null) {
                        throw new IllegalArgumentException("--reward_funcs " + name + ": no reward functions are available to this job");
                    }
                    handles.add(rewards.acquire(name));
                }
            }
            try (HfModel model = provider.load(c, manager)) {
                if (!(model.model() instanceof DecoderModel decoder)) {
                    throw new IllegalArgumentException(model.folder() + ": this architecture cannot be trained yet");
                }
                if (model.tokenizer() == null) {
                    throw new IllegalArgumentException(model.folder() + " has no tokenizer.json, which training on text needs");
                }
                return run(model, decoder, manager, handles);
            }
        } finally {
            handles.forEach(ExtensionHandle::close);
        }
    }

    private Result run(HfModel model, DecoderModel decoder, NDManager manager, List<ExtensionHandle<RewardFunction>> handles)
            throws IOException {
        SftArguments c = args.common();
        ChatTemplate template = SftJob.chatTemplate(model, args.common().template(), provider);
        ChatEncoder encoder = new ChatEncoder(model.tokenizer());
        DatasetOptions options = DatasetOptions.defaults().withSeed(c.seed()).withColumns(c.columns()).withSkipBadRows(!c.strict());
        BadRows badRows = BadRows.of(options); // one tally for rows bad to read and rows with nothing to align on
        List<DatasetRow> rows = new DatasetReader(options, badRows).load(DatasetSpec.parseAll(c.dataset())).train();
        AlignData data = new AlignData(template, encoder, c.maxLength(), SftExample.Truncation.of(c.truncationStrategy()), badRows);

        Map<String, NDArray> trainable = Tuner.setUp(decoder, args.common(), ADAPTER_NAME, manager, listener);
        String adapter = c.trainType().equals("lora") ? ADAPTER_NAME : null;
        HfModel frozenCopy = null;
        List<AutoCloseable> closing = new ArrayList<>();
        try {
            LanguageModel reference = null;
            boolean needsReference = args.type() == RlhfArguments.Type.DPO || args.type() == RlhfArguments.Type.KTO
                    || (args.type() == RlhfArguments.Type.GRPO && args.beta() != 0);
            if (needsReference) {
                if (adapter != null) {
                    reference = decoder; // run with the adapter off: the base, no second copy
                } else {
                    frozenCopy = provider.load(c, manager); // full tuning: the initial weights, frozen
                    reference = frozenCopy.model();
                }
            }
            RewardModel rewardModel = null;
            if (args.type() == RlhfArguments.Type.RM) {
                rewardModel = RewardModel.init(decoder, adapter, manager, c.seed());
                rewardModel.head().setRequiresGradient(true);
                trainable.put(RewardModel.SCORE, rewardModel.head());
            }
            long parameters = trainable.values().stream().mapToLong(a -> a.getShape().size()).sum();
            long all = decoder.parameters().values().stream().mapToLong(a -> a.getShape().size()).sum();

            Path out = c.outputDir();
            Files.createDirectories(out);
            Files.writeString(out.resolve("args.json"), JSON.copy().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(args.toMap()));
            RewardModel rm = rewardModel;
            Checkpoints checkpoints = new Checkpoints(out, c.saveSteps(), c.saveTotalLimit(),
                    rm != null ? dir -> rm.writeFiles(dir, model.config().asMap(), SftJob.tokenizerFiles(model))
                            : adapter != null ? dir -> PeftAdapter.writeFiles(dir, decoder.linears(), ADAPTER_NAME, c.loraRank(),
                                    c.loraAlpha(), c.useRslora(), c.model())
                                    : dir -> ModelSaver.writeFiles(decoder, dir, "F32", SftJob.tokenizerFiles(model)));

            List<Map<String, Object>> history = new ArrayList<>();
            List<SftTrainer.StepLog> plotted = new ArrayList<>();
            long start = System.nanoTime();
            try (Writer writer = Files.newBufferedWriter(out.resolve("logging.jsonl"), StandardCharsets.UTF_8)) {
                OptimizerSteps[] optimizer = new OptimizerSteps[1];
                long[] tokensSeen = {0};
                PreferenceTrainer.StepListener logger = (step, total, record) -> {
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    record.put("elapsed_s", elapsed);
                    history.add(record);
                    long tokens = ((Number) record.get("num_tokens")).longValue();
                    tokensSeen[0] += tokens;
                    SftTrainer.StepLog log = new SftTrainer.StepLog(step, total, ((Number) record.get("loss")).doubleValue(),
                            ((Number) record.get("learning_rate")).doubleValue(), ((Number) record.get("grad_norm")).doubleValue(), tokens);
                    plotted.add(log);
                    if (step % c.loggingSteps() == 0 || step == total) {
                        writer.write(JSON.writeValueAsString(record) + "\n");
                        writer.flush();
                    }
                    listener.step(log, elapsed, tokensSeen[0] / elapsed);
                    if (checkpoints.due(step, total)) {
                        checkpoints.save(step, total, optimizer[0].state(), history);
                    }
                };
                if (args.type() == RlhfArguments.Type.GRPO) {
                    List<AlignData.Prompt> prompts = data.prompts(rows);
                    reportSkipped(badRows);
                    try (RewardRunner runner = rewardRunner(handles, manager, closing)) {
                        GrpoTrainer trainer = new GrpoTrainer(args, decoder, adapter, reference,
                                ids -> model.tokenizer().decode(toLongs(ids), true), eosIds(model, encoder), runner);
                        long total = trainer.totalSteps(prompts.size());
                        listener.message(String.format("GRPO: training %,d of %,d parameters (%s) on %d prompts, %d completions each, %d steps",
                                parameters, all, c.trainType(), prompts.size(), args.numGenerations(), total));
                        optimizer[0] = new OptimizerSteps(trainable, c.learningRate(), c.lrSchedulerType(), c.warmupRatio(), c.weightDecay(),
                                c.maxGradNorm(), total);
                        trainer.train(prompts, total, optimizer[0], logger);
                    }
                } else {
                    List<?> items = args.type() == RlhfArguments.Type.KTO ? data.kto(rows) : data.pairs(rows);
                    reportSkipped(badRows);
                    if (items.isEmpty()) {
                        throw new IllegalArgumentException("no training rows left in " + c.dataset() + ": " + (badRows.count() > 0
                                ? badRows.summary() + "; any other row is longer than --max_length " + c.maxLength()
                                : "every row is longer than --max_length " + c.maxLength() + "; raise it or use --truncation_strategy left|right"));
                    }
                    long total = PreferenceTrainer.totalSteps(items.size(), args);
                    listener.message(String.format("%s: training %,d of %,d parameters (%s) on %d %s, %d steps", args.rlhfType(),
                            parameters, all, c.trainType(), items.size(), args.type() == RlhfArguments.Type.KTO ? "examples" : "pairs", total));
                    optimizer[0] = new OptimizerSteps(trainable, c.learningRate(), c.lrSchedulerType(), c.warmupRatio(), c.weightDecay(),
                                c.maxGradNorm(), total);
                    new PreferenceTrainer(args, new PreferenceTrainer.Models(decoder, adapter, reference, rewardModel))
                            .train(items, total, optimizer[0], logger);
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            Path last = out.resolve("checkpoint-" + history.size());
            Path plot = LossPlot.write(out.resolve("loss.png"), plotted, Map.of()).orElse(null);
            Path merged = null;
            if (c.mergeLora()) {
                merged = out.resolve("checkpoint-" + history.size() + "-merged");
                if (c.quantBits() > 0) {
                    throw new IllegalArgumentException("--merge_lora with --quant_bits: merge with osprey export --merge_lora from " + last);
                }
                decoder.linears().forEach(l -> {
                    if (l.adapter(ADAPTER_NAME) != null) {
                        l.merge(ADAPTER_NAME);
                    }
                });
                ModelSaver.save(decoder, merged, "F32", SftJob.tokenizerFiles(model));
            }
            listener.message(String.format("final loss %.4f after %d steps; saved %s%s%s", ((Number) history.get(history.size() - 1)
                    .get("loss")).doubleValue(), history.size(), last, plot == null ? "" : ", plot " + plot,
                    merged == null ? "" : ", merged model " + merged));
            return new Result(last, merged, history, plot);
        } finally {
            if (frozenCopy != null) {
                frozenCopy.close();
            }
            for (AutoCloseable a : closing) {
                try {
                    a.close();
                } catch (Exception e) {
                    listener.message("closing " + a + ": " + e);
                }
            }
        }
    }

    private RewardRunner rewardRunner(List<ExtensionHandle<RewardFunction>> handles, NDManager manager, List<AutoCloseable> closing)
            throws IOException {
        List<ExtensionHandle<RewardFunction>> functions = new ArrayList<>(handles);
        if (args.rewardModel() != null) {
            HfModel loaded = provider.load(new SftArguments().model(args.rewardModel()).torchDtype(args.common().torchDtype()), manager);
            RewardModel rm = RewardModel.load(loaded, manager);
            closing.add(rm);
            if (loaded.tokenizer() == null) {
                throw new IllegalArgumentException("--reward_model " + args.rewardModel() + " has no tokenizer.json");
            }
            ChatTemplate template = loaded.tokenizerConfig().defaultChatTemplate().isPresent() ? JinjaChatTemplate.from(loaded.tokenizerConfig())
                    : SftJob.chatTemplate(loaded, args.common().template(), provider); // its own first, unlike the policy
            functions.add(RewardModelFunction.handle(new RewardModelFunction(rm, template, new ChatEncoder(loaded.tokenizer()),
                    args.common().maxLength()), "--reward_model " + args.rewardModel()));
        }
        return new RewardRunner(functions, args.rewardWeightArray(), Duration.ofMillis((long) (args.rewardTimeout() * 1000)),
                args.failurePolicy());
    }

    private static long[] toLongs(int[] ids) {
        long[] out = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = ids[i];
        }
        return out;
    }

    /** generation_config.json's EOS ids, else the tokenizer config's eos_token. */
    private static Set<Integer> eosIds(HfModel model, ChatEncoder encoder) {
        Set<Integer> ids = new LinkedHashSet<>(model.generationConfig().eosTokenIds());
        if (ids.isEmpty()) {
            model.tokenizerConfig().eosToken().ifPresent(t -> ids.add(encoder.tokenize(t)[0]));
        }
        return ids;
    }

    /** Names the rows {@code --strict false} skipped, so that no row vanishes unseen. */
    private void reportSkipped(BadRows badRows) {
        if (badRows.count() > 0) {
            listener.message(badRows.summary());
        }
    }
}
