package dev.osprey.align.loss;

import static dev.osprey.align.loss.Reference.logSigmoid;
import static dev.osprey.align.loss.Reference.mean;
import static dev.osprey.align.loss.Reference.sigmoid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

/** DPO, KTO, CPO/SimPO, ORPO and the reward-model loss against TRL's formulas computed here in doubles. */
class PreferenceLossesTest {

    private static final double TOL = 1e-6;

    private final NDManager manager = NDManager.newBaseManager();

    // summed log-probs of three pairs; the second pair is mis-ranked by the policy relative to the reference
    private final double[] c = {-5.0, -7.2, -3.1};
    private final double[] r = {-6.0, -6.5, -9.0};
    private final double[] rc = {-5.5, -7.0, -4.0};
    private final double[] rr = {-5.8, -6.9, -8.0};

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray param(double[] values) {
        NDArray a = manager.create(values); // float64: exact enough for 1e-6 comparisons
        a.setRequiresGradient(true);
        return a;
    }

    private static double[] grad(NDArray a) {
        return a.getGradient().toDoubleArray();
    }

    /** Computes a loss with autograd on (DJL records only inside a collector) and back-propagates it. */
    private static LossOutput backward(Supplier<LossOutput> loss) {
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            LossOutput out = loss.get();
            collector.backward(out.loss());
            return out;
        }
    }

    /** TRL dpo_loss per pair, in doubles. */
    private static double dpoReference(String type, double beta, double ls, double c, double r, double rc, double rr) {
        double logits = (c - r) - (rc - rr);
        return switch (type) {
            case "sigmoid" -> -logSigmoid(beta * logits) * (1 - ls) - logSigmoid(-beta * logits) * ls;
            case "hinge" -> Math.max(0, 1 - beta * logits);
            case "ipo" -> Math.pow(logits - 1 / (2 * beta), 2);
            default -> throw new AssertionError(type);
        };
    }

    private double dpoExpected(String type, double beta, double ls) {
        double[] l = new double[c.length];
        for (int i = 0; i < c.length; i++) {
            l[i] = dpoReference(type, beta, ls, c[i], r[i], rc[i], rr[i]);
        }
        return mean(l);
    }

    @Test
    void dpoLossTypesMatchTrlFormulas() {
        for (String type : new String[] {"sigmoid", "hinge", "ipo"}) {
            for (double beta : new double[] {0.1, 0.5}) {
                LossOutput out = new DpoLoss(beta, DpoLoss.Type.parse(type), 0.0)
                        .compute(manager.create(c), manager.create(r), manager.create(rc), manager.create(rr));
                assertEquals(dpoExpected(type, beta, 0.0), out.loss().getDouble(), TOL, type + " beta " + beta);
            }
        }
        LossOutput smoothed = new DpoLoss(0.1, DpoLoss.Type.SIGMOID, 0.2)
                .compute(manager.create(c), manager.create(r), manager.create(rc), manager.create(rr));
        assertEquals(dpoExpected("sigmoid", 0.1, 0.2), smoothed.loss().getDouble(), TOL);
    }

    @Test
    void dpoMetricsAreTrlsRewardsAndLogps() {
        LossOutput out =
                new DpoLoss().compute(manager.create(c), manager.create(r), manager.create(rc), manager.create(rr));
        double[] cr = new double[3];
        double[] rjr = new double[3];
        double acc = 0;
        for (int i = 0; i < 3; i++) {
            cr[i] = 0.1 * (c[i] - rc[i]);
            rjr[i] = 0.1 * (r[i] - rr[i]);
            acc += cr[i] > rjr[i] ? 1 : 0;
        }
        assertEquals(mean(cr), out.metric("rewards/chosen"), TOL);
        assertEquals(mean(rjr), out.metric("rewards/rejected"), TOL);
        assertEquals(acc / 3, out.metric("rewards/accuracies"), TOL);
        assertEquals(2.0 / 3, out.metric("rewards/accuracies"), TOL); // pair 2 is mis-ranked
        assertEquals(mean(cr) - mean(rjr), out.metric("rewards/margins"), TOL);
        assertEquals(mean(c), out.metric("logps/chosen"), TOL);
        assertEquals(mean(r), out.metric("logps/rejected"), TOL);
    }

    @Test
    void dpoGradientRaisesChosenAndLowersRejected() {
        NDArray chosen = param(c);
        NDArray rejected = param(r);
        backward(() -> new DpoLoss().compute(chosen, rejected, manager.create(rc), manager.create(rr)));
        double beta = 0.1;
        for (int i = 0; i < 3; i++) {
            double logits = (c[i] - r[i]) - (rc[i] - rr[i]);
            // d/dc of mean(-logsigmoid(beta*logits)) = -beta * sigmoid(-beta*logits) / B
            double expected = -beta * sigmoid(-beta * logits) / 3;
            assertEquals(expected, grad(chosen)[i], TOL);
            assertEquals(-expected, grad(rejected)[i], TOL);
            assertTrue(grad(chosen)[i] < 0, "descending the loss raises the chosen log-prob");
            assertTrue(grad(rejected)[i] > 0, "and lowers the rejected one");
        }
    }

    @Test
    void ktoMatchesTrlWithClampedDetachedBatchKl() {
        double[] kc = {-4.0, -6.0};
        double[] krc = {-4.5, -6.1};
        double[] kr = {-3.0, -8.0, -2.5};
        double[] krr = {-3.3, -7.0, -2.0};
        double[] pkl = {-7.0, -8.0, -9.5, -6.0, -5.0};
        double[] rkl = {-7.5, -8.2, -9.0, -6.6, -5.1};
        double beta = 0.1;
        double wd = 1.0;
        double wu = 1.33;
        double[] diff = new double[pkl.length];
        for (int i = 0; i < pkl.length; i++) {
            diff[i] = pkl[i] - rkl[i];
        }
        double kl = Math.max(0, mean(diff));
        assertTrue(kl > 0, "the fixture exercises a positive KL");
        double[] losses = new double[5];
        for (int i = 0; i < 2; i++) {
            losses[i] = wd * (1 - sigmoid(beta * ((kc[i] - krc[i]) - kl)));
        }
        for (int i = 0; i < 3; i++) {
            losses[2 + i] = wu * (1 - sigmoid(beta * (kl - (kr[i] - krr[i]))));
        }
        NDArray policyKl = param(pkl);
        NDArray chosen = param(kc);
        LossOutput out = backward(() -> new KtoLoss(beta, wd, wu)
                .compute(
                        chosen,
                        manager.create(kr),
                        policyKl,
                        manager.create(krc),
                        manager.create(krr),
                        manager.create(rkl)));
        assertEquals(mean(losses), out.loss().getDouble(), TOL);
        assertEquals(kl, out.metric("kl"), TOL);
        assertEquals(beta * mean(new double[] {kc[0] - krc[0], kc[1] - krc[1]}), out.metric("rewards/chosen"), TOL);

        // the KL term is a detached constant: no gradient reaches the KL log-probs
        assertTrue(grad(chosen)[0] < 0);
        double[] klGrad;
        try {
            klGrad = grad(policyKl);
        } catch (RuntimeException noGradient) {
            klGrad = new double[pkl.length]; // PyTorch left it undefined: nothing flowed there
        }
        for (double g : klGrad) {
            assertEquals(0.0, g, 0.0);
        }

        // a negative batch KL is clamped at 0
        LossOutput clamped = new KtoLoss()
                .compute(
                        manager.create(kc),
                        manager.create(kr),
                        manager.create(rkl),
                        manager.create(krc),
                        manager.create(krr),
                        manager.create(pkl));
        assertEquals(0.0, clamped.metric("kl"), 0.0);
    }

    @Test
    void ktoGradientRaisesDesirableAndLowersUndesirable() {
        NDArray chosen = param(new double[] {-4.0, -6.0});
        NDArray rejected = param(new double[] {-3.0});
        backward(() -> new KtoLoss()
                .compute(
                        chosen,
                        rejected,
                        null,
                        manager.create(new double[] {-4.5, -6.1}),
                        manager.create(new double[] {-3.3}),
                        null));
        assertTrue(grad(chosen)[0] < 0 && grad(chosen)[1] < 0);
        assertTrue(grad(rejected)[0] > 0);
    }

    @Test
    void ktoAcceptsOneSidedBatches() {
        NDArray empty = manager.create(new double[0]);
        LossOutput out = new KtoLoss()
                .compute(
                        manager.create(new double[] {-4.0}),
                        empty,
                        null,
                        manager.create(new double[] {-4.5}),
                        empty,
                        null);
        assertEquals(1 - sigmoid(0.1 * 0.5), out.loss().getDouble(), TOL);
        assertFalse(out.metrics().containsKey("rewards/rejected"));
    }

    @Test
    void cpoAddsTheNllTermWithCpoAlpha() {
        double nll = 1.7;
        double beta = 0.1;
        double[] l = new double[3];
        for (int i = 0; i < 3; i++) {
            l[i] = -logSigmoid(beta * (c[i] - r[i]));
        }
        LossOutput out = new CpoLoss().compute(manager.create(c), manager.create(r), manager.create(nll));
        assertEquals(mean(l) + 1.0 * nll, out.loss().getDouble(), TOL);
        assertEquals(beta * mean(c), out.metric("rewards/chosen"), TOL);
        assertEquals(nll, out.metric("nll_loss"), TOL);
    }

    @Test
    void simpoSubtractsGammaOverBetaFromLengthNormalisedLogits() {
        double[] cm = {-0.8, -1.2, -0.5};
        double[] rm = {-1.1, -1.0, -1.6};
        double beta = 2.0;
        double gamma = 0.5;
        double[] l = new double[3];
        for (int i = 0; i < 3; i++) {
            l[i] = -logSigmoid(beta * ((cm[i] - rm[i]) - gamma / beta));
        }
        LossOutput pure = CpoLoss.simpo(0.0).compute(manager.create(cm), manager.create(rm), null);
        assertEquals(mean(l), pure.loss().getDouble(), TOL);
        LossOutput withNll = CpoLoss.simpo(0.3).compute(manager.create(cm), manager.create(rm), manager.create(2.0));
        assertEquals(mean(l) + 0.3 * 2.0, withNll.loss().getDouble(), TOL);

        NDArray chosen = param(cm);
        backward(() -> CpoLoss.simpo(0.0).compute(chosen, manager.create(rm), null));
        assertTrue(grad(chosen)[0] < 0);
    }

    @Test
    void orpoIsNllMinusBetaTimesLogSigmoidOfLogOdds() {
        double[] cm = {-0.8, -1.2, -0.5};
        double[] rm = {-1.1, -1.0, -1.6};
        double beta = 0.1;
        double nll = 0.9;
        double[] ratio = new double[3];
        double[] odds = new double[3];
        for (int i = 0; i < 3; i++) {
            odds[i] = (cm[i] - rm[i]) - (Math.log1p(-Math.exp(cm[i])) - Math.log1p(-Math.exp(rm[i])));
            ratio[i] = logSigmoid(odds[i]);
        }
        NDArray chosen = param(cm);
        LossOutput out = backward(() -> new OrpoLoss(beta).compute(chosen, manager.create(rm), manager.create(nll)));
        assertEquals(nll - beta * mean(ratio), out.loss().getDouble(), TOL);
        assertEquals(mean(ratio), out.metric("log_odds_ratio"), TOL);
        assertEquals(mean(odds), out.metric("log_odds_chosen"), TOL);
        assertTrue(grad(chosen)[0] < 0, "ORPO raises the chosen log-prob");
    }

    @Test
    void rewardModelLossWithMarginAndCentring() {
        double[] rcz = {1.5, -0.2, 0.7};
        double[] rrz = {0.3, 0.4, -1.0};
        double[] margin = {0.5, 0.0, 1.0};
        double coef = 0.01;
        double[] l = new double[3];
        double[] centre = new double[3];
        for (int i = 0; i < 3; i++) {
            l[i] = -logSigmoid(rcz[i] - rrz[i] - margin[i]);
            centre[i] = Math.pow(rcz[i] + rrz[i], 2);
        }
        NDArray chosen = param(rcz);
        LossOutput out =
                backward(() -> new RewardModelLoss(coef).compute(chosen, manager.create(rrz), manager.create(margin)));
        assertEquals(mean(l) + coef * mean(centre), out.loss().getDouble(), TOL);
        assertEquals(2.0 / 3, out.metric("accuracy"), TOL);
        LossOutput plain = new RewardModelLoss().compute(manager.create(rcz), manager.create(rrz), null);
        double[] p = new double[3];
        for (int i = 0; i < 3; i++) {
            p[i] = -logSigmoid(rcz[i] - rrz[i]);
        }
        assertEquals(mean(p), plain.loss().getDouble(), TOL);
        assertTrue(grad(chosen)[1] < 0, "the mis-ranked pair's chosen score is pushed up");
    }

    @Test
    void badInputsAreRejectedWithTheirName() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new DpoLoss()
                        .compute(
                                manager.create(c),
                                manager.create(new double[] {1, 2}),
                                manager.create(rc),
                                manager.create(rr)));
        assertTrue(e.getMessage().contains("DPO"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DpoLoss.Type.parse("sppo"));
        assertThrows(IllegalArgumentException.class, () -> new DpoLoss(0.1, DpoLoss.Type.IPO, 0.1));
    }
}
