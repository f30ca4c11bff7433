package dev.osprey.eval.impl;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.dataset.CsvParser;

/**
 * The published layouts of the multiple-choice benchmarks, as EvalScope reads a {@code local_path}: one file per
 * subject (or subset) and split, each question with its lettered choices and the letter of the answer.
 */
final class MultipleChoiceQuestions {

    /** MMLU's and C-Eval's four letters. */
    static final List<String> LETTERS = List.of("A", "B", "C", "D");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One question of a subject; {@code labels} name {@code choices} in order, {@code answer} is one of them. */
    record Question(
            String subject, int index, String question, List<String> labels, List<String> choices, String answer) {}

    /** Reads one subject's file into its questions. */
    @FunctionalInterface
    interface FileReader {
        List<Question> read(Path file, String subject) throws IOException;
    }

    private MultipleChoiceQuestions() {}

    /**
     * The subjects of {@code folder} (files {@code SUBJECT + suffix}) by name, sorted, each with its questions in
     * file order; only those of {@code subjects} when it is not empty.
     *
     * @throws IllegalArgumentException naming a missing folder, or a subject asked for that has no file
     */
    static Map<String, List<Question>> read(Path folder, String suffix, List<String> subjects, FileReader reader)
            throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("local_path has no " + folder + " folder");
        }
        Map<String, List<Question>> bySubject = new TreeMap<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(suffix))
                    .toList()) {
                String name = file.getFileName().toString();
                String subject = name.substring(0, name.length() - suffix.length());
                if (subjects.isEmpty() || subjects.contains(subject)) {
                    bySubject.put(subject, reader.read(file, subject));
                }
            }
        }
        for (String subject : subjects) {
            if (!bySubject.containsKey(subject)) {
                throw new IllegalArgumentException(
                        "subset_list names '" + subject + "', but " + folder + " has no " + subject + suffix);
            }
        }
        return bySubject;
    }

    /**
     * MMLU's CSV rows, {@code question,A,B,C,D,answer} without a header ({@code header false}), or C-Eval's, with a
     * header row naming {@code id,question,A,B,C,D,answer[,explanation]} ({@code header true}).
     *
     * @throws IllegalArgumentException naming the file and line of a row that is not a question
     */
    static List<Question> csv(Path file, String subject, boolean header) throws IOException {
        List<Question> questions = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file);
                CsvParser csv = new CsvParser(in)) {
            int first = 0;
            if (header) {
                List<String> names = csv.next();
                first = names == null ? 0 : names.indexOf("question");
                if (first < 0) {
                    throw new IllegalArgumentException(file + ":1: expected a header naming question,A,B,C,D,answer");
                }
            }
            for (List<String> row = csv.next(); row != null; row = csv.next()) {
                if (row.size() < first + 6
                        || !LETTERS.contains(row.get(first + 5).trim())) {
                    throw new IllegalArgumentException(file + ":" + csv.recordLine()
                            + ": expected question,A,B,C,D,answer with the answer one of " + LETTERS + ", got "
                            + row.size() + " fields");
                }
                questions.add(new Question(
                        subject,
                        questions.size(),
                        row.get(first),
                        LETTERS,
                        row.subList(first + 1, first + 5),
                        row.get(first + 5).trim()));
            }
        } catch (CsvParser.CsvFormatException e) {
            throw new IllegalArgumentException(file + ":" + e.line + ": " + e.getMessage(), e);
        }
        return questions;
    }

    /**
     * AI2's ARC JSON lines: {@code {"question": {"stem": ..., "choices": [{"text": ..., "label": "A"}, ...]},
     * "answerKey": "A"}}, three to five choices labelled with letters or digits.
     *
     * @throws IllegalArgumentException naming the file and line of a row that is not a question
     */
    static List<Question> arc(Path file, String subject) throws IOException {
        List<Question> questions = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        for (int n = 0; n < lines.size(); n++) {
            if (lines.get(n).isBlank()) {
                continue;
            }
            JsonNode row = JSON.readTree(lines.get(n));
            List<String> labels = new ArrayList<>();
            List<String> choices = new ArrayList<>();
            row.at("/question/choices").forEach(c -> {
                labels.add(c.path("label").asText());
                choices.add(c.path("text").asText());
            });
            String answer = row.path("answerKey").asText();
            if (!row.at("/question/stem").isTextual() || choices.size() < 2 || !labels.contains(answer)) {
                throw new IllegalArgumentException(file + ":" + (n + 1)
                        + ": expected {\"question\": {\"stem\", \"choices\": [{\"text\", \"label\"}]}, \"answerKey\"}"
                        + " with the answer one of the labels");
            }
            questions.add(new Question(
                    subject, questions.size(), row.at("/question/stem").asText(), labels, choices, answer));
        }
        return questions;
    }

    /** The question, its labelled choices one per line, and {@code cue} (e.g. {@code Answer:}). */
    static StringBuilder appendQuestion(StringBuilder text, Question q, String cue) {
        text.append(q.question().trim()).append('\n');
        for (int i = 0; i < q.choices().size(); i++) {
            text.append(q.labels().get(i))
                    .append(". ")
                    .append(q.choices().get(i).trim())
                    .append('\n');
        }
        return text.append(cue);
    }
}
