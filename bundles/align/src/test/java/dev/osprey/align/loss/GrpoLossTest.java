package dev.osprey.align.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

/** GRPO advantages and the clipped per-token objective against TRL's formulas computed here in doubles. */
class GrpoLossTest {

    private static final double TOL = 1e-6;

    private final NDManager manager = NDManager.newBaseManager();

    // three completions, four token slots; the last completion is one token shorter (padding)
    private final double[][] lp = {{-1.0, -0.5, -2.0, -0.1}, {-0.3, -1.5, -0.7, -0.9}, {-2.2, -0.4, -1.1, -5.0}};
    private final double[][] old = {{-1.4, -0.5, -1.6, -0.2}, {-0.3, -1.0, -0.9, -0.8}, {-2.0, -0.9, -1.1, -5.0}};
    private final double[][] ref = {{-1.2, -0.6, -1.9, -0.3}, {-0.2, -1.4, -0.8, -1.0}, {-2.5, -0.5, -1.0, -5.0}};
    private final double[][] mask = {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 0}};
    private final double[] adv = {0.8, -1.2, 0.4};

    @AfterEach
    void close() {
        manager.close();
    }

    /** TRL _compute_loss in doubles: per-token loss, then the loss_type's normalisation. */
    private double reference(String type, double beta, double epsLow, double epsHigh, int maxLen, double numItems) {
        int b = lp.length;
        int t = lp[0].length;
        double[][] pt = new double[b][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                double ratio = Math.exp(lp[i][j] - old[i][j]);
                double clipped = Math.min(Math.max(ratio, 1 - epsLow), 1 + epsHigh);
                pt[i][j] = -Math.min(ratio * adv[i], clipped * adv[i]);
                double d = ref[i][j] - lp[i][j];
                pt[i][j] += beta * (Math.exp(d) - d - 1);
            }
        }
        double total = 0;
        double tokens = 0;
        double perSeqMean = 0;
        for (int i = 0; i < b; i++) {
            double s = 0;
            double m = 0;
            for (int j = 0; j < t; j++) {
                s += pt[i][j] * mask[i][j];
                m += mask[i][j];
            }
            total += s;
            tokens += m;
            perSeqMean += s / m / b;
        }
        return switch (type) {
            case "grpo" -> perSeqMean;
            case "bnpo" -> total / tokens;
            case "dr_grpo" -> total / (b * maxLen);
            case "dapo" -> total / numItems;
            default -> throw new AssertionError(type);
        };
    }

    private LossOutput compute(GrpoLoss.Config config, Double numItems) {
        return new GrpoLoss(config)
                .compute(
                        manager.create(lp),
                        manager.create(old),
                        manager.create(ref),
                        manager.create(adv),
                        manager.create(mask),
                        numItems);
    }

    @Test
    void fourLossTypesMatchTrl() {
        for (GrpoLoss.Type type : GrpoLoss.Type.values()) {
            String name = type.name().toLowerCase();
            GrpoLoss.Config config = new GrpoLoss.Config(0.04, 0.2, 0.28, type, 8);
            double expected = reference(name, 0.04, 0.2, 0.28, 8, 40.0);
            assertEquals(expected, compute(config, 40.0).loss().getDouble(), TOL, name);
        }
        // dapo without a batch-wide count normalises by this batch's tokens, i.e. as bnpo
        assertEquals(
                reference("bnpo", 0, 0.2, 0.2, 8, 0),
                compute(GrpoLoss.Config.defaults(), null).loss().getDouble(),
                TOL);
    }

    @Test
    void klAndClipRatiosAreTrlsMaskedBatchMeans() {
        LossOutput out = compute(new GrpoLoss.Config(0.04, 0.2, 0.2, GrpoLoss.Type.GRPO, 8), null);
        double kl = 0;
        double low = 0;
        double high = 0;
        double tokens = 0;
        for (int i = 0; i < lp.length; i++) {
            for (int j = 0; j < lp[0].length; j++) {
                if (mask[i][j] == 0) {
                    continue;
                }
                double d = ref[i][j] - lp[i][j];
                kl += Math.exp(d) - d - 1;
                double ratio = Math.exp(lp[i][j] - old[i][j]);
                low += ratio < 0.8 && adv[i] < 0 ? 1 : 0;
                high += ratio > 1.2 && adv[i] > 0 ? 1 : 0;
                tokens++;
            }
        }
        assertTrue(high > 0 && low > 0, "the fixture clips on both sides");
        assertEquals(kl / tokens, out.metric("kl"), TOL);
        assertEquals(low / tokens, out.metric("clip_ratio/low_mean"), TOL);
        assertEquals(high / tokens, out.metric("clip_ratio/high_mean"), TOL);
        assertEquals((low + high) / tokens, out.metric("clip_ratio/region_mean"), TOL);
    }

    @Test
    void gradientFollowsTheAdvantageSign() {
        NDArray logps = manager.create(lp);
        logps.setRequiresGradient(true);
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            // on-policy (old = logps.detach()): ratio 1, nothing clipped, d loss / d logp = -A / tokens(seq) / B
            LossOutput out = new GrpoLoss(new GrpoLoss.Config(0.0, 0.2, 0.2, GrpoLoss.Type.GRPO, 8))
                    .compute(logps, null, null, manager.create(adv), manager.create(mask), null);
            collector.backward(out.loss());
        }
        double[][] g = new double[3][];
        for (int i = 0; i < 3; i++) {
            g[i] = logps.getGradient().get(i).toDoubleArray();
        }
        assertEquals(-0.8 / 4 / 3, g[0][0], TOL);
        assertEquals(1.2 / 4 / 3, g[1][2], TOL);
        assertEquals(-0.4 / 3 / 3, g[2][1], TOL);
        assertEquals(0.0, g[2][3], 0.0, "padding gets no gradient");
        assertTrue(g[0][0] < 0 && g[1][0] > 0, "positive advantage raises log-probs, negative lowers them");
    }

    @Test
    void groupAdvantagesUseUnbiasedGroupStd() {
        double[] rewards = {1.0, 0.0, 0.5, 2.0, 2.0, 2.0};
        GroupAdvantages.Result r =
                GroupAdvantages.compute(manager.create(rewards), 3, GroupAdvantages.ScaleRewards.GROUP);
        double mean0 = 0.5;
        double std0 = Math.sqrt((0.25 + 0.25 + 0) / 2);
        double[] expected = {(1 - mean0) / (std0 + 1e-4), (0 - mean0) / (std0 + 1e-4), 0, 0, 0, 0};
        assertArrayEquals(expected, r.advantages().toDoubleArray(), TOL);
        assertEquals(0.5, r.fracRewardZeroStd(), TOL, "the second group is all equal");

        GroupAdvantages.Result none =
                GroupAdvantages.compute(manager.create(rewards), 3, GroupAdvantages.ScaleRewards.NONE);
        assertArrayEquals(
                new double[] {0.5, -0.5, 0, 0, 0, 0}, none.advantages().toDoubleArray(), TOL);

        GroupAdvantages.Result batch =
                GroupAdvantages.compute(manager.create(rewards), 3, GroupAdvantages.ScaleRewards.BATCH);
        double m = Reference.mean(rewards);
        double sq = 0;
        for (double x : rewards) {
            sq += (x - m) * (x - m);
        }
        double std = Math.sqrt(sq / 5);
        assertEquals((1.0 - 0.5) / (std + 1e-4), batch.advantages().toDoubleArray()[0], TOL);
        assertEquals(0.0, batch.advantages().toDoubleArray()[4], TOL);

        assertThrows(
                IllegalArgumentException.class,
                () -> GroupAdvantages.compute(manager.create(rewards), 4, GroupAdvantages.ScaleRewards.GROUP));
        assertEquals(GroupAdvantages.ScaleRewards.NONE, GroupAdvantages.ScaleRewards.parse("false"));
    }

    @Test
    void configRejectsWhatTrlWouldNotRun() {
        assertThrows(IllegalArgumentException.class, () -> new GrpoLoss.Config(-1, 0.2, 0.2, GrpoLoss.Type.GRPO, 8));
        assertThrows(IllegalArgumentException.class, () -> new GrpoLoss.Config(0, 0.2, 0.2, GrpoLoss.Type.DR_GRPO, 0));
        assertThrows(IllegalArgumentException.class, () -> GrpoLoss.Type.parse("cispo"));
        assertThrows(
                IllegalArgumentException.class,
                () -> new GrpoLoss(new GrpoLoss.Config(0.04, 0.2, 0.2, GrpoLoss.Type.GRPO, 8))
                        .compute(manager.create(lp), null, null, manager.create(adv), manager.create(mask), null));
    }
}
