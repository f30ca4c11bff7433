package dev.osprey.train.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import dev.osprey.train.loop.StepLog;

/**
 * Draws the training loss (every step) and the evaluation loss (every evaluation) against the step, as a
 * PNG beside the checkpoints, with JFreeChart in headless AWT. A plot is a convenience: when the JVM
 * cannot draw (no fonts on a bare machine) the run still succeeds and says why there is no plot.
 */
public final class LossPlot {

    private static final System.Logger LOG = System.getLogger(LossPlot.class.getName());

    private LossPlot() {}

    /**
     * @param steps every step, the evaluated ones with their {@code eval_loss}
     * @return the file written, or empty when it could not be drawn
     */
    public static Optional<Path> write(Path file, List<StepLog> steps) {
        if (steps.isEmpty()) {
            return Optional.empty();
        }
        Map<Long, Double> evalLosses = new LinkedHashMap<>();
        steps.stream()
                .filter(s -> s.eval().containsKey("eval_loss"))
                .forEach(s -> evalLosses.put(s.step(), s.eval().get("eval_loss")));
        System.setProperty("java.awt.headless", "true");
        try {
            XYSeries train = new XYSeries("train loss");
            steps.forEach(s -> train.add(s.step(), s.loss()));
            XYSeriesCollection data = new XYSeriesCollection(train);
            if (!evalLosses.isEmpty()) {
                XYSeries eval = new XYSeries("eval loss");
                evalLosses.forEach(eval::add);
                data.addSeries(eval);
            }
            JFreeChart chart = ChartFactory.createXYLineChart(
                    "Loss", "step", "loss", data, PlotOrientation.VERTICAL, true, false, false);
            XYPlot plot = chart.getXYPlot();
            plot.setBackgroundPaint(Color.WHITE);
            plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
            plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
            XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
            renderer.setSeriesShapesVisible(0, steps.size() <= 50);
            renderer.setSeriesStroke(0, new BasicStroke(1.5f));
            renderer.setSeriesPaint(0, new Color(0x1f77b4));
            renderer.setSeriesShapesVisible(1, true);
            renderer.setSeriesPaint(1, new Color(0xff7f0e));
            renderer.setSeriesStroke(1, new BasicStroke(2f));
            plot.setRenderer(renderer);
            Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
            ChartUtils.saveChartAsPNG(tmp.toFile(), chart, 900, 500);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return Optional.of(file);
        } catch (IOException | RuntimeException | Error e) {
            LOG.log(System.Logger.Level.WARNING, "no loss plot: " + e);
            return Optional.empty();
        }
    }
}
