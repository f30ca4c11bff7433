package dev.osprey.model.spi;

import java.util.Arrays;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ModelConfig;

/**
 * The choice half of a mixture of experts ({@link MixtureOfExperts}); {@link ExpertMix} then runs the chosen experts.
 * The choice is made on the host (it has no gradient); the weights are gathered from the scores on the device, so
 * the router trains.
 */
public final class ExpertRouting {

    private ExpertRouting() {}

    /**
     * The experts each token runs and their weights.
     *
     * @param chosen (N·k) expert indices, token n's j-th at {@code n·k + j}
     * @param weights (N, k) their weights, float32
     */
    public record Choice(long[] chosen, NDArray weights) {}

    /** How a router turns its logits into scores ({@code scoring_func}). */
    public enum Scoring {
        SOFTMAX,
        SIGMOID
    }

    /** How a group of experts is ranked when only the best {@code topk_group} groups may be chosen. */
    public enum GroupRank {
        /** By its best score (DeepSeek-V2's {@code group_limited_greedy}). */
        BEST,
        /** By the sum of its two best scores, correction bias included (DeepSeek-V3's {@code noaux_tc}). */
        TOP_TWO_SUM
    }

    /**
     * A router's rule: scores from the logits; a correction bias added to the scores only to choose; the
     * {@code topkGroup} of {@code groups} best groups kept when fewer than all; the top {@code topK} of the kept experts
     * chosen; their unbiased scores, divided by their sum (at least {@code normMin}) when {@code normalize}, times
     * {@code scale}.
     *
     * <p>The families: Mixtral / OLMoE / DeepSeek V1 (softmax, top k, {@code norm_topk_prob}); DeepSeek-V2 (softmax,
     * groups by their best score, {@code routed_scaling_factor}); DeepSeek-V3, GLM-4-MoE, dots.llm1 (sigmoid,
     * {@code e_score_correction_bias}, groups by their two best, {@code norm_topk_prob}, scaling); ERNIE 4.5
     * (softmax, correction bias, renormalised by at least {@code moe_norm_min}); MiniMax-M2 (sigmoid, bias,
     * renormalised).
     *
     * @param scoring softmax or sigmoid, in float32
     * @param topK experts per token ({@code num_experts_per_tok})
     * @param groups {@code n_group} (1: no groups)
     * @param topkGroup {@code topk_group} (equal to {@code groups}: every group)
     * @param groupRank how groups are ranked
     * @param normalize renormalise the chosen weights ({@code norm_topk_prob})
     * @param normMin the smallest divisor of the renormalisation (1e-20, ERNIE's {@code moe_norm_min})
     * @param scale a factor on every weight ({@code routed_scaling_factor}, 1 for none)
     */
    public record Rule(
            Scoring scoring,
            int topK,
            int groups,
            int topkGroup,
            GroupRank groupRank,
            boolean normalize,
            double normMin,
            double scale) {

        /** The divisor floor of the renormalisations that add 1e-20 to the sum. */
        public static final double NORM_MIN = 1e-20;

        public Rule {
            if (topK <= 0) {
                throw new IllegalArgumentException("num_experts_per_tok must be positive, was " + topK);
            }
            if (groups <= 0) {
                throw new IllegalArgumentException("config field 'n_group' must be positive, was " + groups);
            }
            if (topkGroup <= 0 || topkGroup > groups) {
                throw new IllegalArgumentException(
                        "config field 'topk_group' (" + topkGroup + ") must be between 1 and n_group (" + groups + ")");
            }
            if (!(normMin >= 0)) {
                throw new IllegalArgumentException("the renormalisation floor must not be negative, was " + normMin);
            }
        }

        /** Softmax over all experts, the top {@code topK}, renormalised or not (Mixtral, OLMoE, DeepSeek V1). */
        public static Rule softmaxTopK(int topK, boolean normalize) {
            return new Rule(Scoring.SOFTMAX, topK, 1, 1, GroupRank.BEST, normalize, NORM_MIN, 1.0);
        }

        /** DeepSeek-V3's rule: sigmoid, groups ranked by their two best biased scores. */
        public static Rule sigmoidGroupLimited(
                int topK, int groups, int topkGroup, boolean normalize, double scalingFactor) {
            return new Rule(
                    Scoring.SIGMOID,
                    topK,
                    groups,
                    topkGroup,
                    GroupRank.TOP_TWO_SUM,
                    normalize,
                    NORM_MIN,
                    scalingFactor);
        }

        /**
         * DeepSeek-V3's rule from its fields ({@code num_experts_per_tok}, {@code n_group}, {@code topk_group}: every
         * group when absent, {@code norm_topk_prob}, {@code routed_scaling_factor}); also GLM-4-MoE's and dots.llm1's.
         *
         * @param normDefault {@code norm_topk_prob} when the config lacks it
         * @throws IllegalArgumentException naming the config and the field at fault
         */
        public static Rule deepseekV3(ModelConfig c, boolean normDefault) {
            int groups = c.getInt(1, "n_group");
            int topK = c.requireInt("num_experts_per_tok");
            int topkGroup = c.getInt(groups, "topk_group");
            boolean normalize = c.getBoolean(normDefault, "norm_topk_prob");
            double scale = c.getDouble(1.0, "routed_scaling_factor");
            return MixtureOfExperts.checked(c, () -> sigmoidGroupLimited(topK, groups, topkGroup, normalize, scale));
        }

        /** This rule with the weights multiplied by {@code factor}. */
        public Rule scaled(double factor) {
            return new Rule(scoring, topK, groups, topkGroup, groupRank, normalize, normMin, factor);
        }

        /** This rule with {@code n_group} groups of which the {@code topk_group} best are kept, ranked as said. */
        public Rule grouped(int groups, int topkGroup, GroupRank rank) {
            return new Rule(scoring, topK, groups, topkGroup, rank, normalize, normMin, scale);
        }

        /** This rule renormalising by a sum of at least {@code min}. */
        public Rule normalizedAtLeast(double min) {
            return new Rule(scoring, topK, groups, topkGroup, groupRank, true, min, scale);
        }

        /**
         * Checks the rule against a layer of {@code experts} experts.
         *
         * @param expertsField the config field that counts the experts, for the messages
         * @param topKField the config field of {@code topK}
         * @throws IllegalArgumentException naming the field at fault
         */
        public void check(int experts, String expertsField, String topKField) {
            if (topK > experts) {
                throw new IllegalArgumentException("config field '" + topKField + "' (" + topK
                        + ") must be between 1 and " + expertsField + " (" + experts + ")");
            }
            if (experts % groups != 0) {
                throw new IllegalArgumentException(
                        "config field 'n_group' (" + groups + ") must divide " + expertsField + " (" + experts + ")");
            }
            int perGroup = experts / groups;
            if (topK > topkGroup * perGroup) {
                throw new IllegalArgumentException("config field '" + topKField + "' (" + topK
                        + ") exceeds the experts of topk_group (" + topkGroup + ") groups");
            }
            if (topkGroup < groups && groupRank == GroupRank.TOP_TWO_SUM && perGroup < 2) {
                throw new IllegalArgumentException("a group is ranked by its two best experts: n_group (" + groups
                        + ") must leave at least two of " + expertsField + " (" + experts + ") per group");
            }
        }

        /**
         * @param logits (N, E) the router's logits, float32
         * @param correctionBias (E) or (1, E) added to the scores only to choose, or null for none
         * @return the chosen experts and their (N, k) weights
         */
        public Choice choose(NDArray logits, NDArray correctionBias) {
            int n = Math.toIntExact(logits.getShape().get(0));
            int e = Math.toIntExact(logits.getShape().get(1));
            NDArray scores = scoring == Scoring.SIGMOID ? Activation.sigmoid(logits) : logits.softmax(-1); // (N, E)
            float[] all = scores.toFloatArray();
            float[] bias = correctionBias != null
                    ? correctionBias.toType(DataType.FLOAT32, false).toFloatArray()
                    : new float[e];
            int perGroup = e / groups;
            long[] chosen = new long[n * topK];
            float[] choice = new float[e];
            float[] groupScore = new float[groups];
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < e; i++) {
                    choice[i] = all[t * e + i] + bias[i];
                }
                if (topkGroup < groups) {
                    for (int g = 0; g < groups; g++) {
                        float[] members = Arrays.copyOfRange(choice, g * perGroup, (g + 1) * perGroup);
                        Arrays.sort(members);
                        groupScore[g] = groupRank == GroupRank.BEST
                                ? members[perGroup - 1]
                                : members[perGroup - 1] + members[perGroup - 2];
                    }
                    boolean[] kept = new boolean[groups];
                    for (int g : top(groupScore, topkGroup)) {
                        kept[g] = true;
                    }
                    for (int i = 0; i < e; i++) {
                        if (!kept[i / perGroup]) {
                            choice[i] = Float.NEGATIVE_INFINITY;
                        }
                    }
                }
                int[] best = top(choice, topK);
                for (int j = 0; j < best.length; j++) {
                    chosen[t * topK + j] = best[j];
                }
            }
            NDManager m = logits.getManager();
            NDArray weights = scores.gather(OwnedIndex.of(m, chosen, new Shape(n, topK)), 1); // (N, k)
            if (normalize) {
                weights = weights.div(Scalars.maximum(weights.sum(new int[] {-1}, true), (float) normMin)); // (N, k)
            }
            return new Choice(chosen, scale == 1.0 ? weights : Scalars.mul(weights, (float) scale));
        }
    }

    /**
     * @param values the scores
     * @param count how many to take, at most {@code values.length}
     * @return the indices of the {@code count} largest values, largest first (the lower index on ties)
     */
    public static int[] top(float[] values, int count) {
        boolean[] taken = new boolean[values.length];
        int[] best = new int[count];
        for (int j = 0; j < count; j++) {
            int arg = -1;
            for (int i = 0; i < values.length; i++) {
                if (!taken[i] && (arg < 0 || values[i] > values[arg])) {
                    arg = i;
                }
            }
            taken[arg] = true;
            best[j] = arg;
        }
        return best;
    }
}
