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
import java.util.function.Predicate;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import dev.osprey.train.loop.StepLog;

/**
 * Draws the training loss (every step), the evaluation loss and benchmark scores (every evaluation) against the step, as a
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
        return write(file, steps, metric -> false);
    }

    /**
     * The losses, and the benchmark scores ({@code benchmark} says which evaluation metrics are) against a score
     * axis on the right.
     *
     * @return the file written, or empty when it could not be drawn
     */
    public static Optional<Path> write(Path file, List<StepLog> steps, Predicate<String> benchmark) {
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
            XYSeriesCollection scores = scores(steps, benchmark);
            if (scores.getSeriesCount() > 0) {
                plot.setRangeAxis(1, new NumberAxis("score"));
                plot.setDataset(1, scores);
                plot.mapDatasetToRangeAxis(1, 1);
                XYLineAndShapeRenderer scoreLines = new XYLineAndShapeRenderer();
                for (int i = 0; i < scores.getSeriesCount(); i++) {
                    scoreLines.setSeriesShapesVisible(i, true);
                    scoreLines.setSeriesStroke(
                            i,
                            new BasicStroke(
                                    1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {6f, 4f}, 0f));
                }
                plot.setRenderer(1, scoreLines);
            }
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

    /** One series per benchmark score, by name in order of first appearance. */
    private static XYSeriesCollection scores(List<StepLog> steps, Predicate<String> benchmark) {
        Map<String, XYSeries> series = new LinkedHashMap<>();
        for (StepLog s : steps) {
            s.eval().forEach((name, value) -> {
                if (benchmark.test(name)) {
                    series.computeIfAbsent(name, XYSeries::new).add(s.step(), value);
                }
            });
        }
        XYSeriesCollection collection = new XYSeriesCollection();
        series.values().forEach(collection::addSeries);
        return collection;
    }
}
