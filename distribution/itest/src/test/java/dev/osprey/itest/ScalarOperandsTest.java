package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * No Osprey bundle hands DJL a Java number for arithmetic: {@code x.mul(2.0)} and its kind put the number
 * in a buffer that is freed while autograd still holds it (see {@code dev.osprey.api.engine.Scalars}), so
 * every such call must go through {@code Scalars}. Read from the bytecode of the bundles the distribution
 * ships, so a new call anywhere fails the build with its class and line.
 */
class ScalarOperandsTest {

    /** The array types whose methods taking a Number wrap it in a Java buffer. */
    private static final Set<String> ARRAY_TYPES = Set.of(
            "ai/djl/ndarray/NDArray",
            "ai/djl/ndarray/NDArrays",
            "ai/djl/ndarray/internal/NDArrayEx",
            "ai/djl/pytorch/engine/PtNDArray",
            "ai/djl/pytorch/engine/PtNDArrayEx");
    /** Comparisons keep no operand for the backward pass, and {@code set} copies the number in. */
    private static final Set<String> SAFE_WITH_A_NUMBER = Set.of("eq", "neq", "gt", "gte", "lt", "lte", "set");
    /** DJL methods without a Number in their signature that multiply by one inside (found in DJL 0.36's bytecode). */
    private static final Set<String> UNSAFE_INSIDE = Set.of(
            "ai/djl/nn/Activation.swish",
            "ai/djl/nn/Activation.mish",
            "ai/djl/nn/Activation.relu6",
            "ai/djl/ndarray/NDArray.swish",
            "ai/djl/ndarray/NDArray.mish",
            "ai/djl/ndarray/NDArray.scaleGradient",
            "ai/djl/ndarray/NDArray.cbrt",
            "ai/djl/ndarray/NDArray.gatherNd",
            "ai/djl/ndarray/NDArray.toDegrees",
            "ai/djl/ndarray/NDArray.toRadians",
            "ai/djl/ndarray/NDArray.toTensor");

    static boolean unsafe(String owner, String name, String descriptor) {
        if (owner.startsWith("ai/djl/training/loss/")) {
            return true; // DJL's losses scale by numbers throughout
        }
        if (UNSAFE_INSIDE.contains(owner + "." + name)) {
            return true;
        }
        String parameters = descriptor.substring(0, descriptor.indexOf(')'));
        return ARRAY_TYPES.contains(owner)
                && parameters.contains("Ljava/lang/Number;")
                && !SAFE_WITH_A_NUMBER.contains(name);
    }

    @Test
    void noBundleHandsDjlANumberForArithmetic() throws IOException {
        Path exported = TestPlatform.root().resolve("distribution/target/osprey/lib/osprey.jar");
        List<String> calls = new ArrayList<>();
        int scanned = 0;
        try (JarInputStream distribution = new JarInputStream(java.nio.file.Files.newInputStream(exported))) {
            for (JarEntry bundle; (bundle = distribution.getNextJarEntry()) != null; ) {
                String name = bundle.getName();
                if (name.startsWith("jar/osprey-") && name.endsWith(".jar") && !name.startsWith("jar/osprey-engine-")) {
                    scanned += scan(name.substring(4), new JarInputStream(distribution), calls);
                }
            }
        }
        assertTrue(scanned > 100, "Osprey classes read: " + scanned);
        assertTrue(
                calls.isEmpty(),
                "DJL arithmetic with a Java number (use dev.osprey.api.engine.Scalars):\n  "
                        + String.join("\n  ", calls));
    }

    /** Reads Osprey's own classes in one bundle (not what it embeds); returns how many. */
    private static int scan(String bundle, JarInputStream jar, List<String> calls) throws IOException {
        int classes = 0;
        for (JarEntry entry; (entry = jar.getNextJarEntry()) != null; ) {
            if (entry.getName().startsWith("dev/osprey/") && entry.getName().endsWith(".class")) {
                classes++;
                read(bundle, jar, calls);
            }
        }
        return classes;
    }

    private static void read(String bundle, InputStream classFile, List<String> calls) throws IOException {
        ClassReader reader = new ClassReader(classFile.readAllBytes());
        reader.accept(
                new ClassVisitor(Opcodes.ASM9) {
                    @Override
                    public MethodVisitor visitMethod(
                            int access, String method, String descriptor, String signature, String[] exceptions) {
                        return new MethodVisitor(Opcodes.ASM9) {
                            private int line;

                            @Override
                            public void visitLineNumber(int number, Label start) {
                                line = number;
                            }

                            @Override
                            public void visitMethodInsn(
                                    int opcode, String owner, String name, String called, boolean isInterface) {
                                if (unsafe(owner, name, called)) {
                                    calls.add(bundle + ": "
                                            + reader.getClassName().replace('/', '.') + "." + method + " line " + line
                                            + " calls " + owner.substring(owner.lastIndexOf('/') + 1) + "." + name
                                            + called);
                                }
                            }
                        };
                    }
                },
                0);
    }

    @Test
    void theRuleCatchesTheCallsThatBrokeTraining() {
        assertTrue(unsafe("ai/djl/ndarray/NDArray", "mul", "(Ljava/lang/Number;)Lai/djl/ndarray/NDArray;"));
        assertTrue(unsafe(
                "ai/djl/ndarray/NDArray", "clip", "(Ljava/lang/Number;Ljava/lang/Number;)Lai/djl/ndarray/NDArray;"));
        assertTrue(unsafe("ai/djl/nn/Activation", "swish", "(Lai/djl/ndarray/NDArray;F)Lai/djl/ndarray/NDArray;"));
        assertTrue(!unsafe("ai/djl/ndarray/NDArray", "mul", "(Lai/djl/ndarray/NDArray;)Lai/djl/ndarray/NDArray;"));
        assertTrue(!unsafe("ai/djl/ndarray/NDArray", "eq", "(Ljava/lang/Number;)Lai/djl/ndarray/NDArray;"));
    }
}
