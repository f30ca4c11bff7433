package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.itest.ChildProcess.Result;

/**
 * {@code osprey models list} of the installed model bundles: each entry's task, modality and tags, and the filters
 * on them.
 */
class ModelsListCliTest {

    @TempDir
    static Path home;

    @BeforeAll
    static void layOut() throws Exception {
        DistributionCliTest.layOutHome(home);
    }

    @Test
    void theRegistryFiltersByModalityTaskAndTag() throws Exception {
        Result all = DistributionCliTest.ospreyIn(home, "models", "list");
        assertEquals(0, all.exit(), all.out());
        assertTrue(
                all.out().lines().anyMatch(l -> l.matches("ID +TYPE +ARCHITECTURE +TASK +MODALITY +TAGS")), all.out());
        assertTrue(row(all, "Qwen/Qwen3-0.6B").matches(".* causal_lm +text +.*"), row(all, "Qwen/Qwen3-0.6B"));

        Result images = DistributionCliTest.ospreyIn(home, "models", "list", "--modality", "image");
        assertEquals(0, images.exit(), images.out());
        List<String> rows = rows(images);
        assertTrue(rows.size() >= 200, rows.size() + " image models");
        assertTrue(rows.stream().allMatch(l -> l.matches(".* text\\+image(\\+video)? .*")), images.out());
        assertTrue(row(images, "Qwen/Qwen2-VL-2B-Instruct").contains(" text+image+video "), images.out());
        assertTrue(images.out().contains(rows.size() + " models"), images.out());

        Result videos = DistributionCliTest.ospreyIn(home, "models", "list", "--modality", "video");
        assertTrue(rows(videos).size() < rows.size() && !rows(videos).isEmpty(), videos.out());

        Result moe = DistributionCliTest.ospreyIn(home, "models", "list", "--tag", "moe");
        assertTrue(row(moe, "deepseek-ai/DeepSeek-V3").contains("deepseek_v3"), moe.out());
        assertTrue(rows(moe).stream().noneMatch(l -> l.startsWith("Qwen/Qwen3-0.6B ")), moe.out());

        Result embedding = DistributionCliTest.ospreyIn(home, "models", "list", "--task", "embedding");
        assertTrue(rows(embedding).stream().allMatch(l -> l.contains(" embedding ")), embedding.out());
        assertTrue(!rows(embedding).isEmpty(), embedding.out());

        Result wrong = DistributionCliTest.ospreyIn(home, "models", "list", "--modality", "images");
        assertEquals(2, wrong.exit(), wrong.out());
        assertTrue(
                wrong.out().contains("--modality must be one of [text, image, video, audio], not 'images'"),
                wrong.out());
    }

    /** The entry rows: what is between the header and the count. */
    private static List<String> rows(Result r) {
        List<String> lines = r.out().lines().toList();
        int header = lines.indexOf(lines.stream()
                .filter(l -> l.startsWith("ID "))
                .findFirst()
                .orElseThrow(() -> new AssertionError(r.out())));
        return lines.subList(header + 1, lines.size()).stream()
                .filter(l -> !l.matches("\\d+ models.*"))
                .toList();
    }

    private static String row(Result r, String id) {
        return rows(r).stream()
                .filter(l -> l.startsWith(id + " "))
                .findFirst()
                .orElseThrow(() -> new AssertionError(id + " not listed:\n" + r.out()));
    }
}
