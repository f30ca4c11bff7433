package dev.osprey.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLocatorTest {

    static final String COMMIT_MAIN = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static final String COMMIT_V1 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    @TempDir
    Path home;

    @Test
    void localFolderIsReturnedAsIs() throws Exception {
        Path folder = Files.createDirectories(home.resolve("my-model"));
        HubOptions o = HubOptions.fromEnvironment(false, Map.of("HF_HUB_OFFLINE", "1"), home);
        assertEquals(folder, new ModelLocator(o).locate(folder.toString()));
        assertEquals(folder, new ModelLocator(o.withUseHf(true)).locate(folder.toString()));
    }

    @Test
    void offlineWithAnEmptyHfCacheSaysWhatWasTried() {
        Map<String, String> env = Map.of("HF_HUB_OFFLINE", "1");
        HubOptions o = HubOptions.fromEnvironment(true, env, home);
        HubException e = assertThrows(
                HubException.class,
                () -> new ModelLocator(o, DownloadProgress.NONE, null, env).locate("Qwen/Qwen3-0.6B"));
        assertEquals(HubException.Reason.OFFLINE, e.reason());
        assertEquals(
                "model 'Qwen/Qwen3-0.6B' is not a local folder, not in the Hugging Face cache ("
                        + home.resolve(".cache/huggingface/hub/models--Qwen--Qwen3-0.6B")
                        + ") and offline mode is on (HF_HUB_OFFLINE=1)",
                e.getMessage());
    }

    @Test
    void offlineWithAnEmptyModelScopeCacheListsEveryLayoutTried() {
        HubOptions o = HubOptions.fromEnvironment(
                        false, Map.of("MODELSCOPE_CACHE", home.resolve("ms").toString()), home)
                .withOffline(true);
        HubException e = assertThrows(
                HubException.class,
                () -> new ModelLocator(o, DownloadProgress.NONE, null, Map.of()).locate("Qwen/Qwen3-0.6B"));
        Path ms = home.resolve("ms");
        assertEquals(
                "model 'Qwen/Qwen3-0.6B' is not a local folder, not in the ModelScope cache ("
                        + ms.resolve("models/Qwen/Qwen3-0___6B") + ", " + ms.resolve("models/Qwen/Qwen3-0.6B") + ", "
                        + ms.resolve("Qwen/Qwen3-0___6B") + ", " + ms.resolve("Qwen/Qwen3-0.6B")
                        + ") and offline mode is on (offline option)",
                e.getMessage());
    }

    @Test
    void revisionsResolveThroughRefs() throws Exception {
        Path hf = home.resolve("hf");
        Path repo = hf.resolve("models--Qwen--Qwen3-0.6B");
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), COMMIT_MAIN + "\n");
        Files.writeString(repo.resolve("refs/v1.0"), COMMIT_V1);
        Files.createDirectories(repo.resolve("snapshots").resolve(COMMIT_MAIN));
        Files.writeString(repo.resolve("snapshots").resolve(COMMIT_MAIN).resolve("config.json"), "{}");
        Files.createDirectories(repo.resolve("snapshots").resolve(COMMIT_V1));
        Files.writeString(repo.resolve("snapshots").resolve(COMMIT_V1).resolve("config.json"), "{}");

        HubOptions o =
                HubOptions.fromEnvironment(true, Map.of("HF_HUB_CACHE", hf.toString(), "HF_HUB_OFFLINE", "1"), home);
        assertEquals(repo.resolve("snapshots").resolve(COMMIT_MAIN), new ModelLocator(o).locate("Qwen/Qwen3-0.6B"));
        assertEquals(
                repo.resolve("snapshots").resolve(COMMIT_V1),
                new ModelLocator(o.withRevision("v1.0")).locate("Qwen/Qwen3-0.6B"));
        assertEquals(
                repo.resolve("snapshots").resolve(COMMIT_V1),
                new ModelLocator(o.withRevision(COMMIT_V1)).locate("Qwen/Qwen3-0.6B"));
        assertThrows(HubException.class, () -> new ModelLocator(o.withRevision("v2")).locate("Qwen/Qwen3-0.6B"));
    }

    @Test
    void olderModelScopeLayoutIsFound() throws Exception {
        Path ms = home.resolve(".cache/modelscope/hub");
        Path old = Files.createDirectories(ms.resolve("Qwen/Qwen3-0.6B"));
        Files.writeString(old.resolve("config.json"), "{}");
        HubOptions o = HubOptions.fromEnvironment(false, Map.of(), home).withOffline(true);
        assertEquals(old, new ModelLocator(o).locate("Qwen/Qwen3-0.6B"));

        Path current = Files.createDirectories(ms.resolve("models/Qwen/Qwen3-0___6B"));
        Files.writeString(current.resolve("config.json"), "{}");
        assertEquals(current, new ModelLocator(o).locate("Qwen/Qwen3-0.6B"));
        Files.writeString(current.resolve(ModelScopeHub.MARKER), "master");
        assertEquals(old, new ModelLocator(o).locate("Qwen/Qwen3-0.6B"), "an interrupted download is skipped");
    }

    @Test
    void invalidIdsAndMissingPaths() {
        HubOptions o = HubOptions.fromEnvironment(false, Map.of(), home).withOffline(true);
        HubException e = assertThrows(HubException.class, () -> new ModelLocator(o).locate("/no/such/folder"));
        assertEquals(HubException.Reason.INVALID_ID, e.reason());
        assertTrue(e.getMessage().contains("/no/such/folder does not exist"), e.getMessage());
        assertThrows(HubException.class, () -> new ModelLocator(o).locate("gpt2")); // ModelScope needs org/name
        assertTrue(ModelLocator.isHubId("gpt2", true));
        assertFalse(ModelLocator.isHubId("a/../b", true));
        assertFalse(ModelLocator.isHubId("a/b/c", true));
        assertFalse(ModelLocator.isHubId("../b", true));
    }

    @Test
    void optionsFromEnvironment() throws Exception {
        HubOptions d = HubOptions.fromEnvironment(true, Map.of(), home);
        assertEquals(HubOptions.DEFAULT_HF_ENDPOINT, d.hfEndpoint());
        assertEquals(HubOptions.DEFAULT_MODELSCOPE_ENDPOINT, d.modelscopeEndpoint());
        assertEquals(home.resolve(".cache/huggingface/hub"), d.hfCache());
        assertEquals(home.resolve(".cache/modelscope/hub"), d.modelscopeCache());
        assertEquals("main", d.effectiveRevision());
        assertEquals("master", d.withUseHf(false).effectiveRevision());
        assertNull(d.token());
        assertFalse(d.offline());

        HubOptions e = HubOptions.fromEnvironment(
                true,
                Map.of(
                        "HF_ENDPOINT",
                        "https://hf-mirror.com/",
                        "HF_HOME",
                        "/data/hf",
                        "HF_TOKEN",
                        "hf_x",
                        "MODELSCOPE_DOMAIN",
                        "modelscope.example",
                        "MODELSCOPE_CACHE",
                        "/data/ms",
                        "HF_HUB_OFFLINE",
                        "true"),
                home);
        assertEquals("https://hf-mirror.com", e.hfEndpoint());
        assertEquals("https://modelscope.example", e.modelscopeEndpoint());
        assertEquals(Path.of("/data/hf/hub"), e.hfCache());
        assertEquals(Path.of("/data/ms"), e.modelscopeCache());
        assertEquals("hf_x", e.token());
        assertTrue(e.offline());
        assertFalse(e.toString().contains("hf_x"), "toString hides the token");
        assertEquals(
                "ms_x",
                HubOptions.fromEnvironment(false, Map.of("HF_TOKEN", "hf_x", "MODELSCOPE_API_TOKEN", "ms_x"), home)
                        .token());
        assertEquals(
                Path.of("/c/hub"),
                HubOptions.fromEnvironment(true, Map.of("HF_HUB_CACHE", "/c/hub", "HF_HOME", "/data/hf"), home)
                        .hfCache());

        Files.createDirectories(home.resolve(".cache/huggingface"));
        Files.writeString(home.resolve(".cache/huggingface/token"), "hf_from_file\n");
        assertEquals(
                "hf_from_file", HubOptions.fromEnvironment(true, Map.of(), home).token());
    }

    @Test
    void patternsUseFnmatchSemantics() {
        HubOptions o = HubOptions.fromEnvironment(true, Map.of(), home)
                .withPatterns(List.of("*.safetensors", "*.json", "tokenizer/"), List.of("*onnx*", "[!c]*.json"));
        assertTrue(o.accepts("model.safetensors"));
        assertTrue(o.accepts("sub/model-00001-of-00002.safetensors"), "* crosses /");
        assertTrue(o.accepts("config.json"));
        assertFalse(o.accepts("generation_config.json"), "ignored by [!c]*.json");
        assertTrue(o.accepts("tokenizer/vocab.txt"));
        assertFalse(o.accepts("README.md"));
        assertFalse(o.accepts("onnx/model.safetensors"));
        assertTrue(HubOptions.fromEnvironment(true, Map.of(), home).accepts("anything"));
    }
}
