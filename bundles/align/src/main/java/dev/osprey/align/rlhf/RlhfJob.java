package dev.osprey.align.rlhf;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.osprey.align.reward.RewardRunner;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.reward.RewardFunction;
import dev.osprey.chat.ChatEncoder;
import dev.osprey.dataset.BadRows;
import dev.osprey.dataset.DatasetOptions;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.Folders;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.train.loop.MicroBatchObjective;
import dev.osprey.train.loop.StepLog;
import dev.osprey.train.loop.Trainer;
import dev.osprey.train.loop.TrainingListener;
import dev.osprey.train.sft.ModelProvider;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.SftExample;
import dev.osprey.train.sft.SftJob;
import dev.osprey.train.sft.TrainingRuns;
import dev.osprey.train.sft.Tuner;

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
            return steps.stream()
                    .mapToDouble(s -> s.get(name) instanceof Number n ? n.doubleValue() : Double.NaN)
                    .toArray();
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
        this.provider = provider;
        this.rewards = rewards;
        this.listener = listener == null ? new TrainingListener() {} : listener;
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
                        throw new IllegalArgumentException(
                                "--reward_funcs " + name + ": no reward functions are available to this job");
                    }
                    handles.add(rewards.acquire(name));
                }
            }
            try (HfModel model = provider.load(c, manager)) {
                return run(model, TrainingRuns.trainable(model), manager, handles);
            }
        } finally {
            handles.forEach(ExtensionHandle::close);
        }
    }

    private Result run(
            HfModel model, LanguageModel decoder, NDManager manager, List<ExtensionHandle<RewardFunction>> handles)
            throws IOException {
        SftArguments c = args.common();
        ChatEncoder encoder = new ChatEncoder(model.tokenizer());
        DatasetOptions options = DatasetOptions.defaults()
                .withSeed(c.seed())
                .withColumns(c.columns())
                .withSkipBadRows(!c.strict());
        BadRows badRows = BadRows.of(options); // one tally for rows bad to read and rows with nothing to align on
        TrainingRuns.Rows rows = TrainingRuns.rows(c, options, badRows);
        AlignData data = new AlignData(
                provider.prompts(model),
                provider.media(model),
                c.maxLength(),
                SftExample.Truncation.of(c.truncationStrategy()),
                badRows);

        // a resumed rm run's adapter sits in its checkpoint's adapter/ folder, beside the merged weights
        SftArguments tuning = args.type() == RlhfArguments.Type.RM ? RewardModel.tunerArguments(c) : c;
        Map<String, NDArray> trainable = Tuner.setUp(decoder, tuning, ADAPTER_NAME, manager, listener);
        String adapter = TrainingRuns.adapter(c);
        HfModel frozenCopy = null;
        List<AutoCloseable> closing = new ArrayList<>();
        try {
            LanguageModel reference = null;
            boolean needsReference = args.type() == RlhfArguments.Type.DPO
                    || args.type() == RlhfArguments.Type.KTO
                    || (args.type() == RlhfArguments.Type.GRPO && args.beta() != 0);
            if (needsReference) {
                if (adapter != null) {
                    reference = decoder; // run with the adapter off: the base, no second copy
                } else {
                    frozenCopy = provider.load(c, manager); // full tuning: the initial weights, frozen
                    reference = frozenCopy.model();
                }
            }
            Folders.Writer weights = TrainingRuns.weights(c, model, decoder);
            RewardModel rewardModel = null;
            if (args.type() == RlhfArguments.Type.RM) {
                DecoderModel rmDecoder = TrainingRuns.decoder(model, "--rlhf_type rm");
                rewardModel = c.resumeFromCheckpoint() == null
                        ? RewardModel.init(rmDecoder, adapter, manager, c.seed())
                        : RewardModel.resume(rmDecoder, adapter, c.resumeFromCheckpoint());
                rewardModel.head().setRequiresGradient(true);
                trainable.put(RewardModel.SCORE, rewardModel.head());
                RewardModel rm = rewardModel;
                Folders.Writer adapterFiles = adapter == null ? null : weights; // the PEFT adapter, for a resume
                weights = dir -> rm.writeCheckpoint(
                        dir, model.config().asMap(), LoraMerge.tokenizerFiles(model.folder()), adapterFiles);
            }
            long parameters = trainable.values().stream()
                    .mapToLong(a -> a.getShape().size())
                    .sum();
            long all = decoder.parameters().values().stream()
                    .mapToLong(a -> a.getShape().size())
                    .sum();
            Trainer trainer = new Trainer(
                    TrainingRuns.options(c, decoder, trainable),
                    TrainingRuns.folder(c, args.toMap(), weights),
                    listener);
            Trainer.Result result;
            if (args.type() == RlhfArguments.Type.GRPO) {
                List<AlignData.Prompt> prompts = data.prompts(rows.train());
                List<AlignData.Prompt> validation = data.prompts(rows.validation());
                reportSkipped(badRows);
                try (RewardRunner runner = rewardRunner(handles, manager, closing)) {
                    GrpoObjective objective = new GrpoObjective(
                            args,
                            decoder,
                            adapter,
                            reference,
                            ids -> model.tokenizer().decode(toLongs(ids), true),
                            eosIds(model, encoder),
                            runner);
                    listener.message(String.format(
                            "GRPO: training %,d of %,d parameters (%s) on %d prompts, %d completions each, %d steps",
                            parameters,
                            all,
                            c.trainType(),
                            prompts.size(),
                            args.numGenerations(),
                            trainer.totalSteps(objective, prompts.size())));
                    result = trainer.train(objective, prompts, validation, trainable);
                }
            } else if (args.type() == RlhfArguments.Type.KTO) {
                List<AlignData.KtoExample> examples = data.kto(rows.train());
                List<AlignData.KtoExample> validation =
                        rows.validation().isEmpty() ? List.of() : data.kto(rows.validation());
                KtoObjective objective = new KtoObjective(args, decoder, adapter, reference);
                result = train(
                        trainer, objective, examples, validation, trainable, badRows, parameters, all, "examples");
            } else {
                List<AlignData.Pair> pairs = data.pairs(rows.train());
                List<AlignData.Pair> validation = data.pairs(rows.validation());
                MicroBatchObjective<AlignData.Pair> objective = rewardModel != null
                        ? new RewardModelObjective(rewardModel, args.centerRewardsCoefficient())
                        : new PreferenceObjective(args, decoder, adapter, reference);
                result = train(trainer, objective, pairs, validation, trainable, badRows, parameters, all, "pairs");
            }
            Path merged = null;
            if (c.mergeLora() && !listener.cancelled()) {
                merged = TrainingRuns.mergeLora(c, provider, model, result.lastCheckpoint(), manager);
            }
            listener.message(TrainingRuns.summary(result, merged));
            return new Result(
                    result.lastCheckpoint(),
                    merged,
                    result.steps().stream().map(StepLog::toMap).toList(),
                    result.plot());
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

    /** Trains an offline method on its encoded items, after naming the rows skipped and what is trained. */
    private <T> Trainer.Result train(
            Trainer trainer,
            MicroBatchObjective<T> objective,
            List<T> items,
            List<T> validation,
            Map<String, NDArray> trainable,
            BadRows badRows,
            long parameters,
            long all,
            String what)
            throws IOException {
        SftArguments c = args.common();
        reportSkipped(badRows);
        if (items.isEmpty()) {
            throw new IllegalArgumentException("no training rows left in " + c.dataset() + ": "
                    + (badRows.count() > 0
                            ? badRows.summary() + "; any other row is longer than --max_length " + c.maxLength()
                            : "every row is longer than --max_length " + c.maxLength()
                                    + "; raise it or use --truncation_strategy left|right"));
        }
        listener.message(String.format(
                "%s: training %,d of %,d parameters (%s) on %d %s%s, %d steps",
                args.rlhfType(),
                parameters,
                all,
                c.trainType(),
                items.size(),
                what,
                validation.isEmpty() ? "" : ", validating on " + validation.size(),
                trainer.totalSteps(objective, items.size())));
        return trainer.train(objective, items, validation, trainable);
    }

    private RewardRunner rewardRunner(
            List<ExtensionHandle<RewardFunction>> handles, NDManager manager, List<AutoCloseable> closing)
            throws IOException {
        List<ExtensionHandle<RewardFunction>> functions = new ArrayList<>(handles);
        if (args.rewardModel() != null) {
            HfModel loaded = provider.load(
                    new SftArguments()
                            .model(args.rewardModel())
                            .torchDtype(args.common().torchDtype()),
                    manager);
            RewardModel rm = RewardModel.load(loaded, manager);
            closing.add(rm);
            if (loaded.tokenizer() == null) {
                throw new IllegalArgumentException("--reward_model " + args.rewardModel() + " has no tokenizer.json");
            }
            // loaded without --template (that one is the policy's): the reward model's registry entry, own or
            // model_type template
            functions.add(RewardModelFunction.handle(
                    new RewardModelFunction(
                            rm,
                            provider.prompts(loaded),
                            provider.media(loaded),
                            args.common().maxLength()),
                    "--reward_model " + args.rewardModel()));
        }
        return new RewardRunner(
                functions,
                args.rewardWeightArray(),
                Duration.ofMillis((long) (args.rewardTimeout() * 1000)),
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
