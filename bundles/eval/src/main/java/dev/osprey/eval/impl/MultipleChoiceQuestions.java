package dev.osprey.eval.impl;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.dataset.CsvParser;

/**
 * The published layouts of the multiple-choice benchmarks, as EvalScope reads a {@code local_path}: one file per
 * subject (or subset) and split, each question with its lettered choices and the letter of the answer.
 */
final class MultipleChoiceQuestions {

    /** MMLU's and C-Eval's four letters. */
    static final List<String> LETTERS = List.of("A", "B", "C", "D");

    /** One question of a subject; {@code labels} name {@code choices} in order, {@code answer} is one of them. */
    record Question(
            String subject, int index, String question, List<String> labels, List<String> choices, String answer) {}

    /** Reads one subject's file into its questions (or a generation benchmark's problems). */
    @FunctionalInterface
    interface FileReader<T> {
        List<T> read(Path file, String subject) throws IOException;
    }

    private MultipleChoiceQuestions() {}

    /**
     * The subjects of {@code folder} (files {@code SUBJECT + suffix}) by name, sorted, each with its questions in
     * file order; only those of {@code subjects} when it is not empty.
     *
     * @throws IllegalArgumentException naming a missing folder, or a subject asked for that has no file
     */
    static <T> Map<String, List<T>> read(Path folder, String suffix, List<String> subjects, FileReader<T> reader)
            throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("local_path has no " + folder + " folder");
        }
        Map<String, List<T>> bySubject = new TreeMap<>();
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

    /** {@link #read} of the subjects' CSV files ({@link #csv}, with or without a header row). */
    static Map<String, List<Question>> readCsv(Path folder, String suffix, List<String> subjects, boolean header)
            throws IOException {
        return read(folder, suffix, subjects, (f, s) -> csv(f, s, header));
    }

    /**
     * MMLU's CSV rows, {@code question,A,B,C,D,answer} without a header ({@code header false}), or rows under a
     * header that names the columns ({@code header true}): C-Eval's and EvalScope's {@code
     * id,question,A,B,C,D,answer[,explanation]}, CMMLU's {@code ,Question,A,B,C,D,Answer}; the letter columns there
     * run from A up to J, and an empty one is a choice the question does not have.
     *
     * @throws IllegalArgumentException naming the file and line of a row that is not a question
     */
    static List<Question> csv(Path file, String subject, boolean header) throws IOException {
        List<Question> questions = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file);
                CsvParser csv = new CsvParser(in)) {
            Columns columns = Columns.MMLU;
            if (header) {
                List<String> names = csv.next();
                columns = names == null ? null : Columns.named(names);
                if (columns == null) {
                    throw new IllegalArgumentException(
                            file + ":1: expected a header naming question, A, B, ... and" + " answer (any case)");
                }
            }
            for (List<String> row = csv.next(); row != null; row = csv.next()) {
                List<String> labels = new ArrayList<>();
                List<String> choices = new ArrayList<>();
                for (int c = 0; c < columns.letters().size(); c++) {
                    int at = columns.first() + c;
                    if (at < row.size() && !row.get(at).isEmpty()) {
                        labels.add(columns.letters().get(c));
                        choices.add(row.get(at));
                    }
                }
                String answer = columns.answer() < row.size()
                        ? row.get(columns.answer()).trim()
                        : "";
                if (columns.question() >= row.size() || choices.size() < 2 || !labels.contains(answer)) {
                    throw new IllegalArgumentException(file + ":" + csv.recordLine() + ": expected question,"
                            + String.join(",", columns.letters()) + ",answer with the answer one of the letters"
                            + " given, got " + row.size() + " fields");
                }
                questions.add(
                        new Question(subject, questions.size(), row.get(columns.question()), labels, choices, answer));
            }
        } catch (CsvParser.CsvFormatException e) {
            throw new IllegalArgumentException(file + ":" + e.line + ": " + e.getMessage(), e);
        }
        return questions;
    }

    /** Where a CSV's question, its consecutive letter columns from {@code first} on, and its answer are. */
    private record Columns(int question, int first, List<String> letters, int answer) {

        static final Columns MMLU = new Columns(0, 1, LETTERS, 5);

        /** The columns a header names, or null when it names no question, A, B and answer. */
        static Columns named(List<String> header) {
            List<String> names =
                    header.stream().map(n -> n.trim().toLowerCase(Locale.ROOT)).toList();
            int question = names.indexOf("question");
            int answer = names.indexOf("answer");
            int first = names.indexOf("a");
            List<String> letters = new ArrayList<>();
            for (int c = first; c >= 0 && c < names.size() && letters.size() < 10; c++) {
                String letter = String.valueOf((char) ('A' + letters.size()));
                if (!names.get(c).equals(letter.toLowerCase(Locale.ROOT))) {
                    break;
                }
                letters.add(letter);
            }
            return question < 0 || answer < 0 || letters.size() < 2
                    ? null
                    : new Columns(question, first, letters, answer);
        }
    }

    /**
     * EvalScope's multiple-choice JSON lines: {@code {"question", "A", "B", ..., "answer"}} (letters up to J, empty
     * ones skipped), or {@code {"question", "choices": [...], "answer"}} with the answer a letter or the index of
     * the right choice.
     *
     * @throws IllegalArgumentException naming the file and line of a row that is not a question
     */
    static List<Question> jsonl(Path file, String subject) throws IOException {
        return JsonLines.read(file, (row, index, line) -> {
            List<String> labels = new ArrayList<>();
            List<String> choices = new ArrayList<>();
            JsonNode listed = row.path("choices");
            for (int c = 0; c < 10; c++) {
                String letter = String.valueOf((char) ('A' + c));
                JsonNode choice = listed.isArray() ? listed.path(c) : row.path(letter);
                if (choice.isValueNode() && !choice.asText().isEmpty()) {
                    labels.add(letter);
                    choices.add(choice.asText());
                }
            }
            JsonNode given = row.path("answer");
            String answer = given.isInt() && given.asInt() >= 0 && given.asInt() < 10
                    ? String.valueOf((char) ('A' + given.asInt()))
                    : given.asText().trim();
            if (!row.path("question").isTextual() || choices.size() < 2 || !labels.contains(answer)) {
                throw new IllegalArgumentException(file + ":" + line + ": expected {\"question\", \"A\", \"B\","
                        + " ..., \"answer\"} or {\"question\", \"choices\": [...], \"answer\"} with the answer one of"
                        + " the choices' letters");
            }
            return new Question(subject, index, row.path("question").asText(), labels, choices, answer);
        });
    }

    /**
     * AI2's ARC JSON lines: {@code {"question": {"stem": ..., "choices": [{"text": ..., "label": "A"}, ...]},
     * "answerKey": "A"}}, three to five choices labelled with letters or digits.
     *
     * @throws IllegalArgumentException naming the file and line of a row that is not a question
     */
    static List<Question> arc(Path file, String subject) throws IOException {
        return JsonLines.read(file, (row, index, line) -> {
            List<String> labels = new ArrayList<>();
            List<String> choices = new ArrayList<>();
            row.at("/question/choices").forEach(c -> {
                labels.add(c.path("label").asText());
                choices.add(c.path("text").asText());
            });
            String answer = row.path("answerKey").asText();
            if (!row.at("/question/stem").isTextual() || choices.size() < 2 || !labels.contains(answer)) {
                throw new IllegalArgumentException(file + ":" + line
                        + ": expected {\"question\": {\"stem\", \"choices\": [{\"text\", \"label\"}]}, \"answerKey\"}"
                        + " with the answer one of the labels");
            }
            return new Question(subject, index, row.at("/question/stem").asText(), labels, choices, answer);
        });
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
