package dev.osprey.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * A model's weights by checkpoint name, wherever they lie: one {@code model.safetensors}, or the shards a
 * {@code model.safetensors.index.json} lists, or a single file such as a LoRA
 * {@code adapter_model.safetensors}. Model bundles ask for a tensor by name and need not care about
 * sharding.
 *
 * <p>Every header is read and checked when the weights are opened, so a missing shard, an index that
 * points at the wrong shard, or a truncated file fails before any parameter is touched, with a message
 * naming the file and the tensor. Instances are immutable and safe to share between threads; loading
 * opens the file anew for each tensor.
 */
public final class WeightFiles {

    /** The single-file weights of a model folder. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The index of sharded weights: {@code {"weight_map": {name: shard file}}}. */
    public static final String INDEX_FILE = "model.safetensors.index.json";
    /** The weights of a PEFT LoRA adapter folder. */
    public static final String ADAPTER_FILE = "adapter_model.safetensors";

    private final Path source;
    private final Map<String, TensorInfo> infos;
    private final Map<String, Path> files;

    private WeightFiles(Path source, Map<String, TensorInfo> infos, Map<String, Path> files) {
        this.source = source;
        this.infos = Collections.unmodifiableMap(infos);
        this.files = files;
    }

    /**
     * The weights of a model folder: {@code model.safetensors} if present (as Transformers prefers it),
     * else the shards of {@code model.safetensors.index.json}.
     *
     * @throws CheckpointException when the folder has neither, or the index or a shard is wrong
     */
    public static WeightFiles open(Path folder) throws IOException {
        Path single = folder.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return openFile(single);
        }
        Path index = folder.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return openIndex(index);
        }
        String hint = Files.isRegularFile(folder.resolve(ADAPTER_FILE))
                ? " (it holds " + ADAPTER_FILE + ": a LoRA adapter, to be opened with openFile)"
                : "";
        throw new CheckpointException(folder, "has neither " + SINGLE_FILE + " nor " + INDEX_FILE + hint);
    }

    /** The tensors of one safetensors file, e.g. {@code adapter_model.safetensors}. */
    public static WeightFiles openFile(Path file) throws IOException {
        Map<String, TensorInfo> infos = new TreeMap<>(Safetensors.readHeader(file));
        return new WeightFiles(file, infos, Map.of());
    }

    /** The tensors listed in a {@code model.safetensors.index.json}, each checked against its shard's header. */
    public static WeightFiles openIndex(Path index) throws IOException {
        Map<String, Object> root = Json.readObject(index);
        Object weightMap = root.get("weight_map");
        if (!(weightMap instanceof Map<?, ?> map)) {
            throw new CheckpointException(
                    index,
                    weightMap == null
                            ? "required field 'weight_map' is missing"
                            : "field 'weight_map' must be an object of tensor name to shard file, was "
                                    + Json.show(weightMap));
        }
        Path folder = index.toAbsolutePath().getParent();
        Map<String, Map<String, TensorInfo>> headers = new HashMap<>();
        Map<String, TensorInfo> infos = new TreeMap<>();
        Map<String, Path> files = new HashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String name = (String) e.getKey();
            String shard = Json.toStr(e.getValue(), index, "weight_map." + name);
            Path file = folder.resolve(shard).normalize();
            if (!file.startsWith(folder.normalize()) || file.equals(folder.normalize())) {
                throw new CheckpointException(
                        index,
                        "tensor '" + name + "' maps to '" + shard + "', which is not a file inside the model folder");
            }
            Map<String, TensorInfo> header = headers.get(shard);
            if (header == null) {
                if (!Files.isRegularFile(file)) {
                    throw new CheckpointException(
                            index,
                            "tensor '" + name + "' maps to shard '" + shard + "', which does not exist (" + file
                                    + "): the download is incomplete");
                }
                header = Safetensors.readHeader(file);
                headers.put(shard, header);
            }
            TensorInfo info = header.get(name);
            if (info == null) {
                throw new CheckpointException(
                        index, "tensor '" + name + "' maps to shard '" + shard + "', which lacks it");
            }
            infos.put(name, info);
            files.put(name, file);
        }
        return new WeightFiles(index, infos, Collections.unmodifiableMap(files));
    }

    /** The file opened: the single safetensors file or the index. */
    public Path source() {
        return source;
    }

    /** Every tensor name, sorted. */
    public Set<String> names() {
        return infos.keySet();
    }

    public boolean contains(String name) {
        return infos.containsKey(name);
    }

    /** Where and how the tensor is stored. */
    public TensorInfo info(String name) {
        TensorInfo info = infos.get(Objects.requireNonNull(name, "name"));
        if (info == null) {
            throw new CheckpointException(source, "has no tensor '" + name + "'" + similar(name));
        }
        return info;
    }

    /** The safetensors file that holds the tensor. */
    public Path fileOf(String name) {
        info(name);
        return files.isEmpty() ? source : files.get(name);
    }

    /** The distinct safetensors files, in the order of the tensor names. */
    public Set<Path> files() {
        return files.isEmpty()
                ? Set.of(source)
                : Collections.unmodifiableSet(new LinkedHashSet<>(
                        infos.keySet().stream().map(files::get).collect(Collectors.toList())));
    }

    /**
     * Loads one tensor into {@code manager}; {@code target} as in
     * {@link Safetensors#read(NDManager, Path, TensorInfo, DataType)} (FLOAT32, FLOAT16, or null for the
     * file's type with BF16 as FLOAT32).
     */
    public NDArray load(NDManager manager, String name, DataType target) throws IOException {
        return Safetensors.read(manager, fileOf(name), info(name), target);
    }

    /** Names that end like the missing one: a prefix mismatch ({@code model.}) is the usual mistake. */
    private String similar(String name) {
        String tail = name;
        int dots = 0;
        for (int i = name.length() - 1; i >= 0; i--) {
            if (name.charAt(i) == '.' && ++dots == 2) {
                tail = name.substring(i);
                break;
            }
        }
        String end = tail;
        var matches =
                infos.keySet().stream().filter(n -> n.endsWith(end)).limit(3).collect(Collectors.toList());
        return matches.isEmpty()
                ? " (it has " + infos.size() + " tensors)"
                : "; similar: " + String.join(", ", matches);
    }

    @Override
    public String toString() {
        return "WeightFiles[" + source + ", " + infos.size() + " tensors]";
    }
}
