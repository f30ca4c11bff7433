package dev.osprey.cli.impl;

import java.io.PrintWriter;

import dev.osprey.train.sft.SftTrainer;
import dev.osprey.train.sft.TrainingListener;

/**
 * The training progress bar: step, percent, loss, learning rate, grad norm, tokens/s, elapsed and ETA.
 * On a terminal the bar is redrawn in place; in logs and pipes a plain line is printed every
 * {@code --logging_steps} steps. Evaluation losses and messages get lines of their own.
 */
final class TrainingProgress implements TrainingListener {

    private static final int WIDTH = 24;

    private final PrintWriter out;
    private final boolean interactive;
    private final int loggingSteps;
    private boolean barShown;

    TrainingProgress(PrintWriter out, boolean interactive, int loggingSteps) {
        this.out = out;
        this.interactive = interactive;
        this.loggingSteps = loggingSteps;
    }

    @Override
    public void message(String text) {
        endBar();
        out.println(text);
        out.flush();
    }

    @Override
    public void step(SftTrainer.StepLog log, double elapsedSeconds, double tokensPerSecond) {
        boolean last = log.step() == log.totalSteps();
        if (interactive) {
            out.print("\r" + render(log, elapsedSeconds, tokensPerSecond));
            barShown = true;
            if (last) {
                endBar();
            }
        } else if (log.step() % loggingSteps == 0 || last) {
            out.println(render(log, elapsedSeconds, tokensPerSecond));
        }
        out.flush();
    }

    @Override
    public void evaluated(long step, double evalLoss) {
        endBar();
        out.printf("step %d  eval_loss %.4f%n", step, evalLoss);
        out.flush();
    }

    private void endBar() {
        if (barShown) {
            out.println();
            barShown = false;
        }
    }

    /** One line of the bar, free of I/O. */
    static String render(SftTrainer.StepLog log, double elapsedSeconds, double tokensPerSecond) {
        double fraction = log.step() / (double) log.totalSteps();
        int filled = (int) Math.round(fraction * WIDTH);
        String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
        double eta = log.step() == 0 ? 0 : elapsedSeconds / log.step() * (log.totalSteps() - log.step());
        return String.format("step %d/%d [%s] %3.0f%%  loss %.4f  lr %.2e  grad_norm %.3f  %,.0f tokens/s  %s<%s", log.step(),
                log.totalSteps(), bar, fraction * 100, log.loss(), log.learningRate(), log.gradNorm(), tokensPerSecond,
                clock(elapsedSeconds), clock(eta));
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%02d:%02d", s / 60, s % 60);
    }
}
