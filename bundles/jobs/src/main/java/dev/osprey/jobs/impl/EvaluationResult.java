package dev.osprey.jobs.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.osprey.api.eval.EvaluationReport;
import dev.osprey.api.eval.SubsetScore;
import dev.osprey.api.job.JobContext;

/**
 * An evaluation job's result as files every client reads the same way: {@code eval_result.json} in the job's output
 * folder ({@code {"metrics": {...}, "details": "...", "subsets": [...]}}), and, for a benchmark that scores subsets,
 * EvalScope's report ({@code reports/MODEL/BENCHMARK.json}: each metric with its categories and subsets, micro and
 * macro means) — both written atomically — and the table EvalScope prints, said as messages of the job.
 */
final class EvaluationResult {

    static final String FILE = "eval_result.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private EvaluationResult() {}

    /** Writes {@code report} of benchmark {@code benchmark} for {@code job}; returns the file. */
    static Path write(EvaluationReport report, String benchmark, JobContext job) throws IOException {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("metrics", new TreeMap<>(report.metrics()));
        content.put(
                "details", report.details() == null ? null : report.details().toString());
        content.put("subsets", report.subsets());
        Path file = writeAtomically(job.outputDir().resolve(FILE), content);
        new TreeMap<>(report.metrics()).forEach((name, value) -> job.progress().message(name + " = " + value));
        if (!report.subsets().isEmpty()) {
            String model = modelName(job);
            Path evalScope = job.outputDir().resolve("reports").resolve(model).resolve(benchmark + ".json");
            Files.createDirectories(evalScope.getParent());
            writeAtomically(evalScope, evalScopeReport(report.subsets(), model, benchmark));
            table(report.subsets(), model, benchmark).forEach(job.progress()::message);
            job.progress().message("wrote " + evalScope);
        }
        job.progress().message("wrote " + file);
        return file;
    }

    private static Path writeAtomically(Path file, Object content) throws IOException {
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        JSON.writeValue(partial.toFile(), content);
        return Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The model's folder name, or the served name a remote evaluation was given. */
    private static String modelName(JobContext job) {
        String model = job.arguments().getString("model", "model").replaceAll("[/\\\\]+$", "");
        String name = model.substring(Math.max(model.lastIndexOf('/'), model.lastIndexOf('\\')) + 1);
        return name.isEmpty() ? "model" : name;
    }

    /** EvalScope's {@code Report}: one category, the benchmark's subsets, scores rounded to four places. */
    static Map<String, Object> evalScopeReport(List<SubsetScore> subsets, String model, String benchmark) {
        Map<String, List<SubsetScore>> byMetric = new LinkedHashMap<>();
        subsets.forEach(s ->
                byMetric.computeIfAbsent(s.metric(), m -> new ArrayList<>()).add(s));
        List<Map<String, Object>> metrics = new ArrayList<>();
        byMetric.forEach((metric, scores) -> {
            List<Map<String, Object>> subsetEntries = new ArrayList<>();
            for (SubsetScore s : scores) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("name", s.subset());
                entry.put("score", round(s.score()));
                entry.put("num", s.num());
                entry.put("is_aggregate", false);
                subsetEntries.add(entry);
            }
            Map<String, Object> category = new LinkedHashMap<>();
            category.put("name", List.of("default"));
            putMeans(category, scores);
            category.put("subsets", subsetEntries);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", metric);
            putMeans(entry, scores);
            entry.put("categories", List.of(category));
            metrics.add(entry);
        });
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("name", model + "@" + benchmark);
        report.put("dataset_name", benchmark);
        report.put("dataset_pretty_name", "");
        report.put("dataset_description", "");
        report.put("model_name", model);
        report.put("score", metrics.isEmpty() ? 0.0 : metrics.get(0).get("score"));
        report.put("metrics", metrics);
        report.put("analysis", "N/A");
        report.put("perf_metrics", null);
        report.put("num", metrics.isEmpty() ? 0 : metrics.get(0).get("num"));
        return report;
    }

    /** {@code num}, {@code score} (the mean over samples) and {@code macro_score} (the mean over subsets). */
    private static void putMeans(Map<String, Object> entry, List<SubsetScore> scores) {
        int num = scores.stream().mapToInt(SubsetScore::num).sum();
        double micro = num == 0
                ? 0
                : scores.stream().mapToDouble(s -> s.score() * s.num()).sum() / num;
        double macro = scores.stream().mapToDouble(SubsetScore::score).average().orElse(0);
        entry.put("num", num);
        entry.put("score", round(micro));
        entry.put("macro_score", round(macro));
    }

    private static double round(double score) {
        return Math.round(score * 10_000) / 10_000.0;
    }

    /** The table EvalScope prints: a row per metric and subset, and an OVERALL row per metric of several subsets. */
    static List<String> table(List<SubsetScore> subsets, String model, String benchmark) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"Model", "Dataset", "Metric", "Subset", "Num", "Score"});
        Map<String, List<SubsetScore>> byMetric = new LinkedHashMap<>();
        subsets.forEach(s ->
                byMetric.computeIfAbsent(s.metric(), m -> new ArrayList<>()).add(s));
        byMetric.forEach((metric, scores) -> {
            for (SubsetScore s : scores) {
                rows.add(new String[] {
                    model, benchmark, metric, s.subset(), Integer.toString(s.num()), String.format("%.4f", s.score())
                });
            }
            if (scores.size() > 1) {
                int num = scores.stream().mapToInt(SubsetScore::num).sum();
                double micro =
                        scores.stream().mapToDouble(s -> s.score() * s.num()).sum() / Math.max(1, num);
                rows.add(new String[] {
                    model, benchmark, metric, "OVERALL", Integer.toString(num), String.format("%.4f", micro)
                });
            }
        });
        int[] widths = new int[rows.get(0).length];
        rows.forEach(r -> {
            for (int c = 0; c < r.length; c++) {
                widths[c] = Math.max(widths[c], r[c].length());
            }
        });
        StringBuilder rule = new StringBuilder("+");
        for (int w : widths) {
            rule.append("-".repeat(w + 2)).append('+');
        }
        List<String> lines = new ArrayList<>();
        lines.add(rule.toString());
        for (int r = 0; r < rows.size(); r++) {
            StringBuilder line = new StringBuilder("|");
            for (int c = 0; c < widths.length; c++) {
                String cell = rows.get(r)[c];
                boolean number = r > 0 && c >= 4; // numbers right-aligned, as EvalScope's table has them
                line.append(' ')
                        .append(
                                number
                                        ? " ".repeat(widths[c] - cell.length()) + cell
                                        : cell + " ".repeat(widths[c] - cell.length()))
                        .append(" |");
            }
            lines.add(line.toString());
            if (r == 0) {
                lines.add(rule.toString().replace('-', '='));
            }
        }
        lines.add(rule.toString());
        return lines;
    }
}
