package dev.osprey.align.rlhf;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

import dev.osprey.align.loss.CpoLoss;
import dev.osprey.align.loss.DpoLoss;
import dev.osprey.align.loss.GroupAdvantages;
import dev.osprey.align.loss.GrpoLoss;
import dev.osprey.align.reward.RewardFailurePolicy;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.TaskType;

/**
 * The arguments of an alignment run by ms-swift's names ({@code swift rlhf}): the method
 * ({@code rlhf_type}), its loss settings and, for GRPO, sampling and rewards. Every other argument (model,
 * dataset, tuner, optimiser, output) is an {@link SftArguments}, held here: {@link #fromMap} gives this
 * class its own names and the rest to {@link SftArguments#fromMap}, so one config file or command line
 * carries both.
 *
 * <p>Values left unset take the method's default, as ms-swift/TRL choose them: beta 0.1 (SimPO 2.0, GRPO
 * 0.04), loss_type sigmoid (SimPO simpo, GRPO grpo), cpo_alpha 1.0 for CPO and 0 for SimPO. For GRPO, a
 * {@code per_device_train_batch_size} or {@code gradient_accumulation_steps} not given by name is chosen so that a
 * step holds whole groups of {@code num_generations} completions (see {@link #fromMap}).
 *
 * <p>The reference model of DPO, KTO and GRPO is the model being trained at its start: with LoRA the base
 * model with the adapter switched off (no second copy), with full tuning a frozen copy of the initial
 * weights. {@code ref_model} may only name the trained model itself.
 */
@JsonAutoDetect(
        fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class RlhfArguments {

    /** The alignment methods ({@code --rlhf_type}). */
    public enum Type {
        DPO,
        KTO,
        SIMPO,
        ORPO,
        CPO,
        RM,
        GRPO;

        /** The type for ms-swift's name. */
        public static Type parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException(
                        "--rlhf_type must be one of dpo, kto, simpo, orpo, cpo, rm, grpo; was '" + name + "'");
            }
        }

        /** Whether the method compares against a reference model. */
        boolean usesReference() {
            return this == DPO || this == KTO || this == GRPO;
        }

        /** Whether the data are chosen/rejected pairs. */
        boolean paired() {
            return this == DPO || this == SIMPO || this == ORPO || this == CPO || this == RM;
        }
    }

    @JsonProperty("rlhf_type")
    private String rlhfType = "dpo";

    @JsonProperty("ref_model")
    private String refModel;

    @JsonProperty("beta")
    private Double beta;

    @JsonProperty("loss_type")
    private String lossType;

    @JsonProperty("label_smoothing")
    private double labelSmoothing;

    @JsonProperty("rpo_alpha")
    private Double rpoAlpha;

    @JsonProperty("simpo_gamma")
    private double simpoGamma = 1.0;

    @JsonProperty("cpo_alpha")
    private Double cpoAlpha;

    @JsonProperty("desirable_weight")
    private double desirableWeight = 1.0;

    @JsonProperty("undesirable_weight")
    private double undesirableWeight = 1.0;

    @JsonProperty("center_rewards_coefficient")
    private Double centerRewardsCoefficient;
    // ---- GRPO
    @JsonProperty("num_generations")
    private int numGenerations = 8;

    @JsonProperty("max_completion_length")
    private int maxCompletionLength = 512;

    @JsonProperty("temperature")
    private double temperature = 1.0;

    @JsonProperty("top_p")
    private double topP = 1.0;

    @JsonProperty("top_k")
    private int topK;

    @JsonProperty("reward_funcs")
    private List<String> rewardFuncs = new ArrayList<>();

    @JsonProperty("reward_weights")
    private List<Double> rewardWeights = new ArrayList<>();

    @JsonProperty("reward_model")
    private String rewardModel;

    @JsonProperty("reward_timeout")
    private double rewardTimeout = 60;

    @JsonProperty("reward_failure")
    private String rewardFailure = "fail";

    @JsonProperty("epsilon")
    private double epsilon = 0.2;

    @JsonProperty("epsilon_high")
    private Double epsilonHigh;

    @JsonProperty("scale_rewards")
    private String scaleRewards = "group";

    @JsonIgnore
    private SftArguments common = new SftArguments();

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** ms-swift's defaults: DPO, with the SFT defaults for everything else. */
    public RlhfArguments() {}

    /** The names (and aliases) this class reads itself; the rest belong to {@link SftArguments}. */
    static Set<String> ownNames() {
        Set<String> names = new LinkedHashSet<>();
        for (Field f : RlhfArguments.class.getDeclaredFields()) {
            JsonProperty p = f.getAnnotation(JsonProperty.class);
            if (p != null) {
                names.add(p.value());
                JsonAlias a = f.getAnnotation(JsonAlias.class);
                if (a != null) {
                    names.addAll(List.of(a.value()));
                }
            }
        }
        return names;
    }

    /**
     * Arguments from ms-swift names (or aliases) to values, strings or typed: this class's names here, the
     * others to {@link SftArguments#fromMap}.
     *
     * @param source named in errors, e.g. the config file or "command line"
     * @throws IllegalArgumentException for an unknown name or a value of the wrong type, naming both
     */
    public static RlhfArguments fromMap(Map<String, ?> values, String source) {
        Set<String> own = ownNames();
        Map<String, Object> mine = new LinkedHashMap<>();
        Map<String, Object> rest = new LinkedHashMap<>();
        values.forEach((k, v) -> (own.contains(k) ? mine : rest).put(k, v));
        RlhfArguments args;
        try {
            args = JSON.convertValue(mine, RlhfArguments.class);
        } catch (IllegalArgumentException e) {
            String detail = e.getMessage();
            if (e.getCause() instanceof UnrecognizedPropertyException u) {
                detail = "unknown argument '" + u.getPropertyName() + "'";
            } else if (e.getCause() instanceof JsonMappingException j) {
                detail = "bad value for '"
                        + (j.getPath().isEmpty() ? "" : j.getPath().get(0).getFieldName()) + "': "
                        + j.getOriginalMessage();
            }
            throw new IllegalArgumentException(source + ": " + detail, e);
        }
        args.common = SftArguments.fromMap(rest, source);
        if (args.type() == Type.GRPO) {
            args.fitGrpoBatch(
                    rest.containsKey("per_device_train_batch_size") || rest.containsKey("batch_size"),
                    rest.containsKey("gradient_accumulation_steps"));
        }
        return args;
    }

    /**
     * A GRPO step holds whole groups of {@code num_generations} completions of one prompt
     * ({@code per_device_train_batch_size x gradient_accumulation_steps} completions), as TRL requires of its
     * generation batch. The one of the two not given is chosen to make it so: the micro-batch
     * {@code num_generations / gcd(accumulation, num_generations)}, which with nothing given is one group per
     * step in one micro-batch (TRL's defaults: 8 per device for 8 generations), else the accumulation
     * {@code num_generations / gcd(batch, num_generations)}. Both given and not fitting is
     * {@link #validate()}'s error, which says what to set.
     */
    private void fitGrpoBatch(boolean batchGiven, boolean accumulationGiven) {
        int batch = common.perDeviceTrainBatchSize();
        int accumulation = common.gradientAccumulationSteps();
        if (numGenerations < 2 || batch < 1 || accumulation < 1) {
            return; // validate() names the bad value
        }
        if (!batchGiven) {
            common.perDeviceTrainBatchSize(numGenerations / gcd(accumulation, numGenerations));
        } else if (!accumulationGiven) {
            common.gradientAccumulationSteps(numGenerations / gcd(batch, numGenerations));
        }
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /** Arguments from a YAML or JSON config file, as ms-swift's {@code --config}. */
    public static RlhfArguments fromFile(Path file) throws IOException {
        return fromMap(SftArguments.readConfig(file), file.toString());
    }

    /**
     * Checks the values and their combinations, those of {@link SftArguments} included (the data-dependent
     * checks, such as KTO rows without labels, happen when the job reads the data).
     *
     * @return this
     * @throws IllegalArgumentException naming the argument(s) at fault
     */
    public RlhfArguments validate() {
        Type type = type();
        common.validate();
        require(
                common.task() == TaskType.CAUSAL_LM,
                "--task_type " + common.taskType() + " is a fine-tuning task of osprey sft, not of --rlhf_type "
                        + rlhfType);
        require(
                beta() > 0 || (type == Type.GRPO && beta() == 0),
                "--beta must be > 0" + (type == Type.GRPO ? " (or 0 for GRPO)" : "") + ", was " + beta());
        switch (type) {
            case DPO -> {
                dpoType(); // parses loss_type
                require(
                        labelSmoothing >= 0 && labelSmoothing < 0.5,
                        "--label_smoothing must be in [0, 0.5), was " + labelSmoothing);
                require(rpoAlpha == null || rpoAlpha >= 0, "--rpo_alpha must be >= 0, was " + rpoAlpha);
            }
            case CPO, SIMPO -> {
                cpoType();
                require(cpoAlpha() >= 0, "--cpo_alpha must be >= 0, was " + cpoAlpha());
            }
            case GRPO -> {
                grpoType();
                require(
                        !rewardFuncs.isEmpty() || rewardModel != null,
                        "--rlhf_type grpo needs --reward_funcs (e.g. accuracy format) or --reward_model DIR");
                require(
                        numGenerations >= 2,
                        "--num_generations must be at least 2 (advantages compare completions of one prompt), was "
                                + numGenerations);
                requireWholeGroups();
                require(maxCompletionLength >= 1, "--max_completion_length must be >= 1, was " + maxCompletionLength);
                require(temperature > 0, "--temperature must be > 0, was " + temperature);
                require(topP > 0 && topP <= 1, "--top_p must be in (0, 1], was " + topP);
                require(topK >= 0, "--top_k must be >= 0 (0 keeps every token), was " + topK);
                require(
                        rewardWeights.isEmpty() || rewardWeights.size() == rewardCount(),
                        "--reward_weights has " + rewardWeights.size() + " values but there are " + rewardCount()
                                + " rewards (" + rewardNames() + ")");
                require(rewardTimeout > 0, "--reward_timeout must be > 0 seconds, was " + rewardTimeout);
                failurePolicy();
                scaleRewards();
                require(epsilon >= 0 && epsilonHigh() >= 0, "--epsilon and --epsilon_high must be >= 0");
                require(!common.packing(), "--packing does not apply to grpo (completions are generated)");
            }
            case RM -> {
                require(
                        centerRewardsCoefficient == null || centerRewardsCoefficient >= 0,
                        "--center_rewards_coefficient must be >= 0, was " + centerRewardsCoefficient);
                require(
                        common.quantBits() == 0,
                        "--rlhf_type rm saves a merged Hugging Face model, which a quantized base cannot give;"
                                + " drop --quant_bits");
            }
            case KTO ->
                require(
                        desirableWeight >= 0 && undesirableWeight >= 0,
                        "--desirable_weight and --undesirable_weight must be >= 0");
            default -> {}
        }
        require(
                !(type != Type.GRPO && (!rewardFuncs.isEmpty() || rewardModel != null)),
                "--reward_funcs and --reward_model apply to --rlhf_type grpo only, not " + rlhfType);
        require(
                !(type != Type.DPO && type != Type.CPO && type != Type.SIMPO && type != Type.GRPO && lossType != null),
                "--loss_type does not apply to --rlhf_type " + rlhfType);
        require(
                refModel == null || refModel.equals(common.model()),
                "--ref_model " + refModel
                        + ": only the trained model itself can be the reference (with LoRA the base with the adapter"
                        + " off, with full tuning a frozen copy of the initial weights); leave --ref_model unset");
        require(
                !common.packing() || type == Type.GRPO,
                "--packing does not apply to --rlhf_type " + rlhfType
                        + " (chosen and rejected are compared as whole sequences)");
        require(!common.mergeLora() || type != Type.RM, "--merge_lora: an rm run already saves merged weights");
        return this;
    }

    /** A step's completions are whole groups of num_generations; if not, says which values would make them so. */
    private void requireWholeGroups() {
        int batch = common.perDeviceTrainBatchSize();
        int accumulation = common.gradientAccumulationSteps();
        int completions = batch * accumulation;
        if (completions % numGenerations == 0) {
            return;
        }
        List<Integer> fitting = new ArrayList<>();
        for (int n = 2; n <= completions; n++) {
            if (completions % n == 0) {
                fitting.add(n);
            }
        }
        throw new IllegalArgumentException(
                "--per_device_train_batch_size " + batch + " x --gradient_accumulation_steps " + accumulation
                        + " (" + completions + " completions per step) must be a multiple of --num_generations "
                        + numGenerations
                        + ": each prompt's completions are compared within one step. Set --gradient_accumulation_steps "
                        + numGenerations / gcd(batch, numGenerations) + " or --per_device_train_batch_size "
                        + numGenerations / gcd(accumulation, numGenerations)
                        + (fitting.isEmpty() ? "" : ", or --num_generations to one of " + fitting)
                        + "; on the command line, leave one of the two unset and it is chosen to fit");
    }

    private int rewardCount() {
        return rewardFuncs.size() + (rewardModel != null ? 1 : 0);
    }

    private String rewardNames() {
        List<String> names = new ArrayList<>(rewardFuncs);
        if (rewardModel != null) {
            names.add(RewardModelFunction.NAME);
        }
        return String.join(", ", names);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    // ---- resolved values

    public Type type() {
        return Type.parse(rlhfType);
    }

    /** {@code --beta}, or the method's default. */
    public double beta() {
        if (beta != null) {
            return beta;
        }
        return switch (type()) {
            case SIMPO -> CpoLoss.SIMPO_BETA;
            case GRPO -> 0.04;
            default -> 0.1;
        };
    }

    DpoLoss.Type dpoType() {
        return DpoLoss.Type.parse(lossType == null ? "sigmoid" : lossType);
    }

    CpoLoss.Type cpoType() {
        if (type() == Type.SIMPO) {
            require(
                    lossType == null || lossType.equals("simpo"),
                    "--rlhf_type simpo uses loss_type simpo, not " + lossType);
            return CpoLoss.Type.SIMPO;
        }
        return CpoLoss.Type.parse(lossType == null ? "sigmoid" : lossType);
    }

    GrpoLoss.Type grpoType() {
        return GrpoLoss.Type.parse(lossType == null ? "grpo" : lossType);
    }

    /** {@code --cpo_alpha}: 1.0 for CPO, 0 (pure SimPO) for SimPO unless given. */
    public double cpoAlpha() {
        return cpoAlpha != null ? cpoAlpha : type() == Type.SIMPO ? 0.0 : CpoLoss.DEFAULT_CPO_ALPHA;
    }

    public double epsilonHigh() {
        return epsilonHigh != null ? epsilonHigh : epsilon;
    }

    RewardFailurePolicy failurePolicy() {
        return RewardFailurePolicy.parse(rewardFailure);
    }

    GroupAdvantages.ScaleRewards scaleRewards() {
        return GroupAdvantages.ScaleRewards.parse(scaleRewards);
    }

    /** {@code --reward_weights} as an array, or null for all 1. */
    double[] rewardWeightArray() {
        return rewardWeights.isEmpty()
                ? null
                : rewardWeights.stream().mapToDouble(Double::doubleValue).toArray();
    }

    // ---- fluent setters (the Java API) and getters

    /** The model, data, tuner, optimiser and output arguments. */
    public SftArguments common() {
        return common;
    }

    public RlhfArguments common(SftArguments value) {
        common = value;
        return this;
    }

    public RlhfArguments rlhfType(String value) {
        rlhfType = value;
        return this;
    }

    public RlhfArguments refModel(String value) {
        refModel = value;
        return this;
    }

    public RlhfArguments beta(double value) {
        beta = value;
        return this;
    }

    public RlhfArguments lossType(String value) {
        lossType = value;
        return this;
    }

    public RlhfArguments labelSmoothing(double value) {
        labelSmoothing = value;
        return this;
    }

    public RlhfArguments rpoAlpha(double value) {
        rpoAlpha = value;
        return this;
    }

    public RlhfArguments simpoGamma(double value) {
        simpoGamma = value;
        return this;
    }

    public RlhfArguments cpoAlpha(double value) {
        cpoAlpha = value;
        return this;
    }

    public RlhfArguments desirableWeight(double value) {
        desirableWeight = value;
        return this;
    }

    public RlhfArguments undesirableWeight(double value) {
        undesirableWeight = value;
        return this;
    }

    public RlhfArguments centerRewardsCoefficient(double value) {
        centerRewardsCoefficient = value;
        return this;
    }

    public RlhfArguments numGenerations(int value) {
        numGenerations = value;
        return this;
    }

    public RlhfArguments maxCompletionLength(int value) {
        maxCompletionLength = value;
        return this;
    }

    public RlhfArguments temperature(double value) {
        temperature = value;
        return this;
    }

    public RlhfArguments topP(double value) {
        topP = value;
        return this;
    }

    public RlhfArguments topK(int value) {
        topK = value;
        return this;
    }

    public RlhfArguments rewardFuncs(String... values) {
        rewardFuncs = new ArrayList<>(List.of(values));
        return this;
    }

    public RlhfArguments rewardWeights(Double... values) {
        rewardWeights = new ArrayList<>(List.of(values));
        return this;
    }

    public RlhfArguments rewardModel(String value) {
        rewardModel = value;
        return this;
    }

    public RlhfArguments rewardTimeout(double seconds) {
        rewardTimeout = seconds;
        return this;
    }

    public RlhfArguments rewardFailure(String value) {
        rewardFailure = value;
        return this;
    }

    public RlhfArguments epsilon(double value) {
        epsilon = value;
        return this;
    }

    public RlhfArguments epsilonHigh(double value) {
        epsilonHigh = value;
        return this;
    }

    public RlhfArguments scaleRewards(String value) {
        scaleRewards = value;
        return this;
    }

    public String rlhfType() {
        return rlhfType;
    }

    public String refModel() {
        return refModel;
    }

    public String lossType() {
        return lossType;
    }

    public double labelSmoothing() {
        return labelSmoothing;
    }

    public double rpoAlpha() {
        return rpoAlpha == null ? 0 : rpoAlpha;
    }

    public double simpoGamma() {
        return simpoGamma;
    }

    public double desirableWeight() {
        return desirableWeight;
    }

    public double undesirableWeight() {
        return undesirableWeight;
    }

    public double centerRewardsCoefficient() {
        return centerRewardsCoefficient == null ? 0 : centerRewardsCoefficient;
    }

    public int numGenerations() {
        return numGenerations;
    }

    public int maxCompletionLength() {
        return maxCompletionLength;
    }

    public double temperature() {
        return temperature;
    }

    public double topP() {
        return topP;
    }

    public int topK() {
        return topK;
    }

    public List<String> rewardFuncs() {
        return List.copyOf(rewardFuncs);
    }

    public List<Double> rewardWeights() {
        return List.copyOf(rewardWeights);
    }

    public String rewardModel() {
        return rewardModel;
    }

    public double rewardTimeout() {
        return rewardTimeout;
    }

    public String rewardFailure() {
        return rewardFailure;
    }

    public double epsilon() {
        return epsilon;
    }

    public String scaleRewardsName() {
        return scaleRewards;
    }

    /** Every argument, these and the common ones, by ms-swift name (saved as {@code args.json}). */
    @SuppressWarnings("unchecked")
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>(common.toMap());
        map.putAll(JSON.convertValue(this, Map.class));
        return map;
    }
}
