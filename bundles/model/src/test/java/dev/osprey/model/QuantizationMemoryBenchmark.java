package dev.osprey.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.decoder.DecoderSpec;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.QuantSpec;
import dev.osprey.model.nn.Rope;

/**
 * Weight memory of a 110M-parameter Llama-shaped model (hidden 768, 12 layers, intermediate 2048, vocabulary
 * 32000, tied embeddings) dense and quantized, with the process RSS and the time of one forward pass. Not a
 * test: run it with
 * {@code mvn -o -q -f bundles/model/pom.xml test -Dtest=QuantizationMemoryBenchmark -Dosprey.bench=true}, adding
 * {@code -Dosprey.bench.quant=f32|int8|nf4|int4} for one format per JVM (RSS rarely shrinks once memory was
 * touched, so only a fresh process gives comparable RSS).
 */
@EnabledIfSystemProperty(named = "osprey.bench", matches = "true")
class QuantizationMemoryBenchmark {

    static DecoderSpec spec110m() {
        return new DecoderSpec(
                32000,
                768,
                2048,
                12,
                12,
                12,
                64,
                1e-6,
                Rope.plain(10000, 64, 2048),
                false,
                false,
                false,
                false,
                0f,
                1.0,
                "silu",
                0,
                true,
                0.02,
                false,
                null);
    }

    @Test
    void report() throws IOException {
        String only = System.getProperty("osprey.bench.quant", "");
        QuantSpec[] specs = {null, QuantSpec.int8(), QuantSpec.nf4(), QuantSpec.int4()};
        for (QuantSpec spec : specs) {
            String label = spec == null ? "f32" : spec.method().name().toLowerCase(java.util.Locale.ROOT);
            if (!only.isEmpty() && !only.equals(label)) {
                continue;
            }
            long rssBefore = rssKib();
            try (NDManager manager = NDManager.newBaseManager()) {
                DecoderModel model =
                        new DecoderModel(TinyModels.EMPTY_CONFIG, spec110m(), manager, DataType.FLOAT32, 1);
                long parameters = model.parameters().values().stream()
                        .mapToLong(NDArray::size)
                        .sum();
                long rssDense = rssKib();
                long start = System.nanoTime();
                if (spec != null) {
                    ModelLoader.quantize(model, spec);
                }
                long quantizeMs = (System.nanoTime() - start) / 1_000_000;
                long linearBytes =
                        model.linears().stream().mapToLong(Linear::weightBytes).sum();
                java.util.Set<String> linearWeights = new java.util.HashSet<>();
                model.linears().forEach(l -> linearWeights.add(l.name() + ".weight"));
                long otherBytes = model.parameters().entrySet().stream()
                        .filter(e -> !linearWeights.contains(e.getKey()))
                        .mapToLong(e ->
                                e.getValue().size() * e.getValue().getDataType().getNumOfBytes())
                        .sum();
                System.gc();
                long rssAfter = rssKib();
                NDArray ids = manager.randomInteger(0, 32000, new Shape(1, 128), DataType.INT64);
                model.forward(ForwardRequest.builder(ids).build()).logits().close(); // warm-up
                start = System.nanoTime();
                for (int i = 0; i < 3; i++) {
                    model.forward(ForwardRequest.builder(ids).build()).logits().close();
                }
                long forwardMs = (System.nanoTime() - start) / 3_000_000;
                System.out.printf(
                        "%-7s params %,d (dense)  decoder linears %,d bytes  other params %,d bytes  total %,d bytes"
                                + "  RSS KiB: start %,d, dense model %,d, after quantize+gc %,d  quantize %d ms  forward(1x128) %d ms%n",
                        spec == null ? "f32" : spec.toString(),
                        parameters,
                        linearBytes,
                        otherBytes,
                        linearBytes + otherBytes,
                        rssBefore,
                        rssDense,
                        rssAfter,
                        quantizeMs,
                        forwardMs);
                model.close();
            }
        }
    }

    /** VmRSS of this process, from /proc (Linux). */
    private static long rssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
