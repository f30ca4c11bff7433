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

import dev.osprey.dataset.CsvParser;

/**
 * MMLU's published layout, as EvalScope reads a {@code local_path}: {@code data/test/SUBJECT_test.csv} (and
 * {@code data/dev/SUBJECT_dev.csv} for the few-shot examples), each row {@code question,A,B,C,D,answer} without a
 * header, the answer a letter.
 */
final class MultipleChoiceQuestions {

    static final List<String> LETTERS = List.of("A", "B", "C", "D");

    /** One question of a subject. */
    record Question(String subject, int index, String question, List<String> choices, String answer) {}

    private MultipleChoiceQuestions() {}

    /**
     * The subjects of {@code root} ({@code data/SPLIT/SUBJECT_SPLIT.csv}) by name, sorted, each with its questions
     * in file order; only those of {@code subjects} when it is not empty.
     *
     * @throws IllegalArgumentException naming the file and line of a row that is not a question, a missing folder,
     *         or a subject asked for that has no file
     */
    static Map<String, List<Question>> read(Path root, String split, List<String> subjects) throws IOException {
        Path folder = root.resolve("data").resolve(split);
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("local_path " + root + " has no data/" + split
                    + "/ folder: expected MMLU's layout (data/test/SUBJECT_test.csv, data/dev/SUBJECT_dev.csv)");
        }
        String suffix = "_" + split + ".csv";
        Map<String, List<Question>> bySubject = new TreeMap<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(suffix))
                    .toList()) {
                String name = file.getFileName().toString();
                String subject = name.substring(0, name.length() - suffix.length());
                if (subjects.isEmpty() || subjects.contains(subject)) {
                    bySubject.put(subject, questions(file, subject));
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

    private static List<Question> questions(Path file, String subject) throws IOException {
        List<Question> questions = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file);
                CsvParser csv = new CsvParser(in)) {
            for (List<String> row = csv.next(); row != null; row = csv.next()) {
                if (row.size() != 6 || !LETTERS.contains(row.get(5).trim())) {
                    throw new IllegalArgumentException(file + ":" + csv.recordLine()
                            + ": expected question,A,B,C,D,answer with the answer one of " + LETTERS + ", got "
                            + row.size() + " fields");
                }
                questions.add(new Question(
                        subject,
                        questions.size(),
                        row.get(0),
                        row.subList(1, 5),
                        row.get(5).trim()));
            }
        } catch (CsvParser.CsvFormatException e) {
            throw new IllegalArgumentException(file + ":" + e.line + ": " + e.getMessage(), e);
        }
        return questions;
    }

    /**
     * The prompt of MMLU's original evaluation (and lm-eval-harness's, EvalScope's): a line naming the subject, the
     * {@code shots} with their answers, then the question, its lettered choices and {@code Answer:}; the model's
     * answer is the letter that continues it most likely.
     */
    static String prompt(Question question, List<Question> shots) {
        StringBuilder text = new StringBuilder("The following are multiple choice questions (with answers) about ")
                .append(question.subject().replace('_', ' '))
                .append(".\n\n");
        for (Question shot : shots) {
            appendQuestion(text, shot);
            text.append(' ').append(shot.answer()).append("\n\n");
        }
        appendQuestion(text, question);
        return text.toString();
    }

    private static void appendQuestion(StringBuilder text, Question q) {
        text.append(q.question().trim()).append('\n');
        for (int i = 0; i < LETTERS.size(); i++) {
            text.append(LETTERS.get(i))
                    .append(". ")
                    .append(q.choices().get(i).trim())
                    .append('\n');
        }
        text.append("Answer:");
    }
}
