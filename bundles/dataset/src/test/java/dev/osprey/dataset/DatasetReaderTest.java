package dev.osprey.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.ToolCall;

class DatasetReaderTest {

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private static List<DatasetRow> read(Path p) {
        return read(p, DatasetOptions.defaults());
    }

    private static List<DatasetRow> read(Path p, DatasetOptions options) {
        try (Stream<DatasetRow> s = new DatasetReader(options).stream(p)) {
            return s.toList();
        }
    }

    private static DatasetRow one(Path p) {
        List<DatasetRow> rows = read(p);
        assertEquals(1, rows.size());
        return rows.get(0);
    }

    private static final Conversation EXPECTED = Conversation.of(List.of(
            ChatMessage.of("system", "Be brief."),
            ChatMessage.of("user", "Hi"),
            ChatMessage.of("assistant", "Hello!"),
            ChatMessage.of("user", "2+2?"),
            ChatMessage.of("assistant", "4")));

    @Test
    void everyFormatGivesTheSameConversation() throws IOException {
        String[] rows = {
            "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"},"
                    + " {\"role\": \"assistant\", \"content\": \"Hello!\"}, {\"role\": \"user\", \"content\": \"2+2?\"},"
                    + " {\"role\": \"assistant\", \"content\": \"4\"}]}",
            "{\"system\": \"Be brief.\", \"conversations\": [{\"from\": \"human\", \"value\": \"Hi\"}, {\"from\": \"gpt\", \"value\": \"Hello!\"},"
                    + " {\"from\": \"human\", \"value\": \"2+2?\"}, {\"from\": \"gpt\", \"value\": \"4\"}]}",
            "{\"conversations\": [{\"from\": \"system\", \"value\": \"Be brief.\"}, {\"from\": \"human\", \"value\": \"Hi\"},"
                    + " {\"from\": \"gpt\", \"value\": \"Hello!\"}, {\"from\": \"human\", \"value\": \"2+2?\"}, {\"from\": \"gpt\", \"value\": \"4\"}]}",
            "{\"system\": \"Be brief.\", \"conversation\": [{\"human\": \"Hi\", \"assistant\": \"Hello!\"}, {\"human\": \"2+2?\", \"assistant\": \"4\"}]}",
            "{\"system\": \"Be brief.\", \"query\": \"2+2?\", \"response\": \"4\", \"history\": [[\"Hi\", \"Hello!\"]]}",
        };
        Path p = write("all.jsonl", String.join("\n", rows) + "\n");
        List<DatasetRow> read = read(p);
        assertEquals(rows.length, read.size());
        for (DatasetRow r : read) {
            assertEquals(EXPECTED, r.conversation(), r.source());
            assertTrue(r.extra().isEmpty(), r.source());
        }
        assertEquals(p + ":3", read.get(2).source());
    }

    @Test
    void alpacaAndCsvFormats() throws IOException {
        DatasetRow a = one(write(
                "a.jsonl",
                "{\"system\": \"S\", \"instruction\": \"Translate\", \"input\": \"chat\", \"output\": \"cat\"}\n"));
        assertEquals(
                Conversation.of(List.of(
                        ChatMessage.of("system", "S"),
                        ChatMessage.of("user", "Translate\nchat"),
                        ChatMessage.of("assistant", "cat"))),
                a.conversation());
        DatasetRow b = one(write("b.jsonl", "{\"instruction\": \"Say hi\", \"input\": \"\", \"output\": \"hi\"}\n"));
        assertEquals(
                Conversation.of(List.of(ChatMessage.of("user", "Say hi"), ChatMessage.of("assistant", "hi"))),
                b.conversation());
        DatasetRow c = one(write(
                "c.csv", "system,query,response,history\r\nBe brief.,2+2?,4,\"[[\"\"Hi\"\", \"\"Hello!\"\"]]\"\r\n"));
        assertEquals(EXPECTED, c.conversation());
    }

    @Test
    void sharegptToolRoles() throws IOException {
        DatasetRow r = one(
                write(
                        "t.jsonl",
                        "{\"tools\": \"[{\\\"type\\\": \\\"function\\\", \\\"function\\\": {\\\"name\\\": \\\"weather\\\","
                                + " \\\"description\\\": \\\"Weather\\\", \\\"parameters\\\": {\\\"type\\\": \\\"object\\\"}}}]\","
                                + " \"conversations\": [{\"from\": \"human\", \"value\": \"Weather in Paris?\"},"
                                + " {\"from\": \"function_call\", \"value\": \"{\\\"name\\\": \\\"weather\\\", \\\"arguments\\\": {\\\"city\\\": \\\"Paris\\\"}}\"},"
                                + " {\"from\": \"observation\", \"value\": \"{\\\"temp\\\": 20}\"}, {\"from\": \"gpt\", \"value\": \"20 degrees.\"}]}\n"));
        List<ChatMessage> m = r.conversation().messages();
        assertEquals(
                List.of("user", "assistant", "tool", "assistant"),
                m.stream().map(ChatMessage::role).toList());
        assertEquals(
                List.of(new ToolCall("", "weather", "{\"city\":\"Paris\"}")),
                m.get(1).toolCalls());
        assertEquals("{\"temp\": 20}", m.get(2).text());
        assertEquals(1, r.conversation().tools().size());
        assertEquals("weather", r.conversation().tools().get(0).name());
        assertEquals("Weather", r.conversation().tools().get(0).description());
        assertEquals("{\"type\":\"object\"}", r.conversation().tools().get(0).parametersSchemaJson());
    }

    @Test
    void openAiToolCallsAndSwiftToolCallRoles() throws IOException {
        Path o = write(
                "o.jsonl",
                "{\"tools\": [{\"name\": \"f\", \"parameters\": {}}], \"messages\": ["
                        + "{\"role\": \"user\", \"content\": \"go\"},"
                        + "{\"role\": \"assistant\", \"content\": null, \"reasoning_content\": \"think\", \"tool_calls\": ["
                        + "{\"id\": \"c1\", \"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \"{\\\"x\\\": 1}\"}}]},"
                        + "{\"role\": \"tool\", \"tool_call_id\": \"c1\", \"content\": \"ok\"},"
                        + "{\"role\": \"assistant\", \"content\": \"done\"}]}\n"
                        + "{\"messages\": [{\"role\": \"user\", \"content\": \"go\"}, {\"role\": \"assistant\", \"content\": \"<think>x</think>\"},"
                        + "{\"role\": \"tool_call\", \"content\": \"{\\\"name\\\": \\\"f\\\", \\\"arguments\\\": {}}\"},"
                        + "{\"role\": \"tool_call\", \"content\": \"{\\\"name\\\": \\\"g\\\", \\\"arguments\\\": {}}\"},"
                        + "{\"role\": \"tool_response\", \"content\": \"1\"}, {\"role\": \"tool_response\", \"content\": \"2\"},"
                        + "{\"role\": \"assistant\", \"content\": \"done\"}]}\n");
        DatasetRow r = read(o).get(0);
        ChatMessage call = r.conversation().messages().get(1);
        assertEquals(List.of(new ToolCall("c1", "f", "{\"x\": 1}")), call.toolCalls());
        assertEquals("think", call.reasoning());
        assertEquals("c1", r.conversation().messages().get(2).toolCallId());
        DatasetRow s = read(dir.resolve("o.jsonl")).get(1);
        assertEquals(
                List.of("user", "assistant", "tool", "tool", "assistant"),
                s.conversation().messages().stream().map(ChatMessage::role).toList());
        assertEquals("<think>x</think>", s.conversation().messages().get(1).text());
        assertEquals(2, s.conversation().messages().get(1).toolCalls().size());
    }

    @Test
    void preferenceRows() throws IOException {
        String prompt = "[{\"role\": \"user\", \"content\": \"Q\"}";
        Path p = write(
                "dpo.jsonl",
                "{\"messages\": " + prompt
                        + ", {\"role\": \"assistant\", \"content\": \"good\"}], \"rejected_response\": \"bad\"}\n"
                        + "{\"messages\": " + prompt
                        + ", {\"role\": \"assistant\", \"content\": \"good\"}], \"rejected_messages\": "
                        + prompt + ", {\"role\": \"assistant\", \"content\": \"bad\"}]}\n"
                        + "{\"chosen\": " + prompt
                        + ", {\"role\": \"assistant\", \"content\": \"good\"}], \"rejected\": "
                        + prompt + ", {\"role\": \"assistant\", \"content\": \"bad\"}]}\n"
                        + "{\"prompt\": \"Q\", \"chosen\": \"good\", \"rejected\": \"bad\"}\n");
        for (DatasetRow r : read(p)) {
            assertEquals(
                    Conversation.of(List.of(ChatMessage.of("user", "Q"), ChatMessage.of("assistant", "good"))),
                    r.conversation(),
                    r.source());
            assertEquals(Optional.of(List.of(ChatMessage.of("assistant", "bad"))), r.rejected(), r.source());
            assertEquals(List.of(ChatMessage.of("user", "Q")), r.prompt());
            assertEquals(
                    List.of(ChatMessage.of("user", "Q"), ChatMessage.of("assistant", "bad")),
                    r.rejectedConversation().orElseThrow().messages());
            assertTrue(r.extra().isEmpty(), r.source() + " " + r.extra());
        }
        Path bad = write(
                "dpo-bad.jsonl",
                "{\"messages\": " + prompt + ", {\"role\": \"assistant\", \"content\": \"good\"}], "
                        + "\"rejected_messages\": [{\"role\": \"user\", \"content\": \"other\"}, {\"role\": \"assistant\", \"content\": \"bad\"}]}\n"
                        + "{\"messages\": " + prompt
                        + ", {\"role\": \"assistant\", \"content\": \"good\"}], \"rejected_response\": \"good\"}\n");
        DatasetException e = assertThrows(DatasetException.class, () -> read(bad));
        assertTrue(
                e.getMessage().startsWith(bad + ":1: rejected_messages differs from messages at message 0"),
                e.getMessage());
        DatasetReader skipping = new DatasetReader(DatasetOptions.defaults().withSkipBadRows(true));
        try (Stream<DatasetRow> s = skipping.stream(bad)) {
            assertEquals(0, s.count());
        }
        assertTrue(
                skipping.stats().problems().get(1).startsWith(bad + ":2: rejected_response is the same"),
                skipping.stats().toString());
    }

    @Test
    void ktoLabels() throws IOException {
        Path p = write("kto.csv", "query,response,label\nq1,r1,true\nq2,r2,0\nq3,r3,1\nq4,r4,False\nq5,r5,0.8\n");
        List<DatasetRow> rows = read(p);
        assertEquals(
                List.of(Optional.of(true), Optional.of(false), Optional.of(true), Optional.of(false), Optional.empty()),
                rows.stream().map(DatasetRow::label).toList());
        assertEquals(Map.of("label", "0.8"), rows.get(4).extra());
        DatasetRow j = one(write(
                "kto.jsonl",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"r\"}],"
                        + " \"label\": false, \"solution\": \"42\", \"score\": 3}\n"));
        assertEquals(Optional.of(false), j.label());
        assertEquals(Map.of("solution", "42", "score", 3), j.extra());
    }

    @Test
    void mediaPlaceholdersBecomeParts() throws IOException {
        DatasetRow r = one(write(
                "mm.jsonl",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"<image>What is this? <video>And this?\"},"
                        + " {\"role\": \"assistant\", \"content\": \"A cat.\"}, {\"role\": \"user\", \"content\": \"<image><audio>More\"},"
                        + " {\"role\": \"assistant\", \"content\": \"Dog.\"}], \"images\": [\"/a.jpg\", \"/b.png\"], \"videos\": [\"/v.mp4\"],"
                        + " \"audios\": \"/s.wav\"}\n"));
        List<ChatMessage> m = r.conversation().messages();
        assertEquals(
                List.of(
                        ContentPart.image("/a.jpg"),
                        ContentPart.text("What is this? "),
                        new ContentPart(ContentPart.VIDEO, "/v.mp4"),
                        ContentPart.text("And this?")),
                m.get(0).content());
        assertEquals(
                List.of(
                        ContentPart.image("/b.png"),
                        new ContentPart(ContentPart.AUDIO, "/s.wav"),
                        ContentPart.text("More")),
                m.get(2).content());
        // media without tags go in front of the first user message; more tags than media is an error
        DatasetRow u = one(write(
                "mm2.jsonl",
                "{\"system\": \"S\", \"query\": \"Describe\", \"response\": \"ok\", \"images\": [\"/x.jpg\"]}\n"));
        assertEquals(
                List.of(ContentPart.image("/x.jpg"), ContentPart.text("Describe")),
                u.conversation().messages().get(1).content());
        Path bad = write(
                "mm3.jsonl",
                "{\"query\": \"<image><image>Compare\", \"response\": \"ok\", \"images\": [\"/x.jpg\"]}\n");
        DatasetException e = assertThrows(DatasetException.class, () -> read(bad));
        assertTrue(
                e.getMessage().startsWith(bad + ":1: message 0 (user) has <image> number 2 but images holds 1"),
                e.getMessage());
    }

    @Test
    void columnsRenameBeforeDetection() throws IOException {
        Path p = write("qa.csv", "question,answer,solution\nWhat is 2+2?,4,4\n");
        DatasetRow r = read(p, DatasetOptions.defaults().withColumns(Map.of("question", "query", "answer", "response")))
                .get(0);
        assertEquals(
                Conversation.of(List.of(ChatMessage.of("user", "What is 2+2?"), ChatMessage.of("assistant", "4"))),
                r.conversation());
        assertEquals(Map.of("solution", "4"), r.extra());
        Path q = write("unknown.jsonl", "{\"foo\": 1, \"bar\": 2}\n");
        DatasetException e = assertThrows(DatasetException.class, () -> read(q));
        assertTrue(e.getMessage().startsWith(q + ":1: unknown format: found the keys [foo, bar]"), e.getMessage());
        DatasetRow renamed = read(q, DatasetOptions.defaults().withColumns(Map.of("foo", "query", "bar", "response")))
                .get(0);
        assertEquals("1", renamed.conversation().messages().get(0).text());
    }

    @Test
    void csvQuotesNewlinesAndEscapedQuotes() throws IOException {
        Path p = write(
                "q.csv",
                "\uFEFFquery,response\n"
                        + "\"Say \"\"hi\"\", please\",\"line one\nline two, with comma\"\r\n"
                        + "\n"
                        + "plain,\"\"\"quoted\"\"\"\n"
                        + "last,no newline at end");
        List<DatasetRow> rows = read(p);
        assertEquals(3, rows.size());
        assertEquals(
                "Say \"hi\", please",
                rows.get(0).conversation().messages().get(0).text());
        assertEquals(
                "line one\nline two, with comma",
                rows.get(0).conversation().messages().get(1).text());
        assertEquals("\"quoted\"", rows.get(1).conversation().messages().get(1).text());
        assertEquals(p + ":2", rows.get(0).source());
        assertEquals(p + ":5", rows.get(1).source());
        assertEquals(p + ":6", rows.get(2).source());

        Path open = write("open.csv", "query,response\na,b\nc,\"never closed\nd,e\n");
        DatasetException e = assertThrows(DatasetException.class, () -> read(open));
        assertTrue(
                e.getMessage().startsWith(open + ":3: bad CSV: a quoted field opened on line 3 is not closed"),
                e.getMessage());
        Path fields = write("fields.csv", "query,response\na,b,c\n");
        e = assertThrows(DatasetException.class, () -> read(fields));
        assertTrue(e.getMessage().startsWith(fields + ":2: bad CSV: 3 fields but the header has 2"), e.getMessage());
        Path after = write("after.csv", "query,response\n\"a\"x,b\n");
        e = assertThrows(DatasetException.class, () -> read(after));
        assertTrue(e.getMessage().startsWith(after + ":2: bad CSV: unexpected character 'x'"), e.getMessage());
    }

    @Test
    void folderOfMixedFilesInSortedOrder() throws IOException {
        write("data/b.csv", "query,response\nq2,r2\n");
        write("data/a.jsonl", "{\"query\": \"q1\", \"response\": \"r1\"}\n");
        write(
                "data/sub/c.json",
                "[\n  {\"query\": \"q3\", \"response\": \"r3\"},\n  {\"query\": \"q4\", \"response\": \"r4\"}\n]\n");
        write("data/d.txt", "pretraining text\n\n");
        write("data/README.md", "# not data");
        write("data/.git/x.jsonl", "not even json");
        List<DatasetRow> rows = read(dir.resolve("data"));
        assertEquals(
                List.of("q1", "q2", "pretraining text", "q3", "q4"),
                rows.stream()
                        .map(r -> r.conversation().messages().get(0).text())
                        .toList());
        assertEquals("assistant", rows.get(2).conversation().messages().get(0).role());
        assertTrue(rows.get(4).source().endsWith("c.json:3"), rows.get(4).source());
    }

    @Test
    void sampleIsDeterministicAndFollowsSwift() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            b.append("{\"query\": \"q").append(i).append("\", \"response\": \"r\"}\n");
        }
        Path p = write("ten.jsonl", b.toString());
        DatasetReader reader = new DatasetReader();
        List<String> s1 = queries(reader.read(DatasetSpec.parse(p + "#4")));
        List<String> s2 = queries(new DatasetReader().read(DatasetSpec.parse(p + "#4")));
        assertEquals(s1, s2);
        assertEquals(4, new HashSet<>(s1).size()); // without replacement
        List<String> other =
                queries(new DatasetReader(DatasetOptions.defaults().withSeed(7)).read(DatasetSpec.parse(p + "#4")));
        assertNotEquals(s1, other);
        // 23 = twice every row, then 3 more distinct rows
        List<String> big = queries(reader.read(DatasetSpec.parse(p + "#23")));
        assertEquals(23, big.size());
        for (int i = 0; i < 10; i++) {
            String q = "q" + i;
            long n = big.stream().filter(q::equals).count();
            assertTrue(n == 2 || n == 3, q + " " + n);
        }
        assertEquals(3, new HashSet<>(big.subList(20, 23)).size());
    }

    private static List<String> queries(List<DatasetRow> rows) {
        return rows.stream().map(r -> r.conversation().messages().get(0).text()).toList();
    }

    @Test
    void mixAndSplitAreDeterministicAndDisjoint() throws IOException {
        StringBuilder a = new StringBuilder();
        StringBuilder c = new StringBuilder("query,response\n");
        for (int i = 0; i < 60; i++) {
            a.append("{\"query\": \"a").append(i).append("\", \"response\": \"r\"}\n");
            c.append("c").append(i).append(",r\n");
        }
        Path pa = write("a.jsonl", a.toString());
        Path pc = write("c.csv", c.toString());
        DatasetOptions opts = DatasetOptions.defaults().withSplitDatasetRatio(0.1);
        List<DatasetSpec> specs = DatasetSpec.parseAll(pa + " " + pc + "#30");
        LoadedDatasets one = new DatasetReader(opts).load(specs);
        LoadedDatasets two = new DatasetReader(opts).load(specs);
        assertEquals(queries(one.train()), queries(two.train()));
        assertEquals(queries(one.validation()), queries(two.validation()));
        assertEquals(9, one.validation().size()); // ceil(0.1 * 90)
        assertEquals(81, one.train().size());
        Set<String> train = new HashSet<>(queries(one.train()));
        for (String v : queries(one.validation())) {
            assertFalse(train.contains(v), v);
        }
        assertEquals(
                90,
                new HashSet<>(queries(one.train())).size() + one.validation().size());
        // mixed: both datasets appear among the first rows after the shuffle
        List<String> head = queries(one.train()).subList(0, 20);
        assertTrue(
                head.stream().anyMatch(q -> q.startsWith("a")) && head.stream().anyMatch(q -> q.startsWith("c")),
                head.toString());
        assertEquals(120, one.stats().rowsRead());
    }

    @Test
    void streamsLargeJsonlWithoutCollecting() throws IOException {
        Path p = dir.resolve("big.jsonl");
        int n = 200_000;
        try (BufferedWriter w = Files.newBufferedWriter(p)) {
            for (int i = 0; i < n; i++) {
                w.write("{\"messages\": [{\"role\": \"user\", \"content\": \"question " + i
                        + "\"}, {\"role\": \"assistant\", \"content\": \"answer " + i + "\"}], \"id\": " + i + "}\n");
            }
        }
        DatasetReader reader = new DatasetReader();
        long sum;
        try (Stream<DatasetRow> s = reader.stream(p)) {
            sum = s.mapToLong(r -> ((Number) r.extra().get("id")).longValue()).sum();
        }
        assertEquals((long) n * (n - 1) / 2, sum);
        assertEquals(n, reader.stats().rowsRead());
        // a lazy stream: taking the first rows does not read the rest
        try (Stream<DatasetRow> s = new DatasetReader().stream(p)) {
            assertEquals(p + ":3", s.skip(2).findFirst().orElseThrow().source());
        }
    }

    @Test
    void badRowsNameFileAndLine() throws IOException {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{\"messages\": [}", ":2: bad JSON");
        cases.put("[1, 2]", ":2: expected a JSON object");
        cases.put("{\"messages\": []}", ":2: messages is empty");
        cases.put(
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"system\", \"content\": \"s\"}]}",
                ":2: messages: role 'system' out of place at message 1");
        cases.put(
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"user\", \"content\": \"b\"}]}",
                ":2: messages: role 'user' out of place at message 1");
        cases.put(
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"tool\", \"content\": \"b\"}]}",
                ":2: messages: role 'tool' out of place at message 1");
        cases.put(
                "{\"messages\": [{\"role\": \"wizard\", \"content\": \"a\"}]}",
                ":2: messages[0] has an unknown role 'wizard'");
        cases.put(
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"\"}]}",
                ":2: messages: assistant message 1 is empty");
        cases.put("{\"text_a\": \"x\", \"text_b\": \"y\"}", ":2: unknown format: found the keys [text_a, text_b]");
        cases.put("{\"query\": \"q\", \"response\": \"r\", \"tools\": \"[{not json\"}", ":2: tools holds bad JSON");
        cases.put(
                "{\"query\": \"q\", \"response\": \"r\", \"history\": [[\"only one\"]]}",
                ":2: history[0] must be a [query, response] pair");
        String good = "{\"query\": \"q\", \"response\": \"r\"}";
        int i = 0;
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path p = write("bad" + i++ + ".jsonl", good + "\n" + c.getKey() + "\n" + good + "\n");
            DatasetException e = assertThrows(DatasetException.class, () -> read(p), c.getKey());
            assertTrue(e.getMessage().startsWith(p + c.getValue()), e.getMessage());
            assertEquals(p + ":2", e.source());
        }
        Path arr = write("bad.json", "[\n {\"query\": \"q\", \"response\": \"r\"},\n 7,\n {\"foo\": 1}\n]");
        DatasetException e = assertThrows(DatasetException.class, () -> read(arr));
        assertTrue(e.getMessage().startsWith(arr + ":3: expected a JSON object in the array"), e.getMessage());
        DatasetReader skipping = new DatasetReader(DatasetOptions.defaults().withSkipBadRows(true));
        try (Stream<DatasetRow> s = skipping.stream(arr)) {
            assertEquals(1, s.count());
        }
        assertEquals(2, skipping.stats().rowsSkipped());
        assertTrue(
                skipping.stats().problems().get(1).startsWith(arr + ":4: unknown format"),
                skipping.stats().toString());
    }

    @Test
    void skipBadRowsCounts() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= 30; i++) {
            b.append(i % 3 == 0 ? "{broken\n" : "{\"query\": \"q\", \"response\": \"r\"}\n");
        }
        Path p = write("mixed.jsonl", b.toString());
        DatasetReader reader = new DatasetReader(
                DatasetOptions.defaults().withSkipBadRows(true).withMaxProblems(3));
        try (Stream<DatasetRow> s = reader.stream(p)) {
            assertEquals(20, s.count());
        }
        DatasetStats stats = reader.stats();
        assertEquals(20, stats.rowsRead());
        assertEquals(10, stats.rowsSkipped());
        assertEquals(3, stats.problems().size());
        assertTrue(
                stats.problems().get(0).startsWith(p + ":3: bad JSON"),
                stats.problems().get(0));
        assertTrue(
                stats.problems().get(2).startsWith(p + ":9: bad JSON"),
                stats.problems().get(2));
        assertThrows(DatasetException.class, () -> read(p));
    }

    @Test
    void specParsing() {
        assertEquals(
                new DatasetSpec("data/train.jsonl", OptionalInt.of(500)), DatasetSpec.parse("data/train.jsonl#500"));
        assertEquals(
                List.of(new DatasetSpec("a.jsonl", OptionalInt.empty()), new DatasetSpec("b.csv", OptionalInt.of(3))),
                DatasetSpec.parseAll("  a.jsonl   b.csv#3 "));
        assertEquals(
                List.of(new DatasetSpec("my data/a.jsonl", OptionalInt.empty())),
                DatasetSpec.parseAll(List.of("my data/a.jsonl")));
        assertEquals("b.csv#3", DatasetSpec.parse("b.csv#3").toString());
        DatasetException e = assertThrows(DatasetException.class, () -> DatasetSpec.parse("a.jsonl#many"));
        assertTrue(e.getMessage().contains("expected path#N"), e.getMessage());
        assertThrows(DatasetException.class, () -> DatasetSpec.parse("a.jsonl#0"));
        DatasetException hub = assertThrows(
                DatasetException.class,
                () -> new DatasetReader().read(DatasetSpec.parse("AI-ModelScope/alpaca-gpt4-data-en#500")));
        assertTrue(
                hub.getMessage().contains("hub datasets") && hub.getMessage().contains("models only"),
                hub.getMessage());
        DatasetException missing =
                assertThrows(DatasetException.class, () -> new DatasetReader().read(DatasetSpec.parse("nope/x.jsonl")));
        assertTrue(missing.getMessage().endsWith("no such file or folder"), missing.getMessage());
    }
}
