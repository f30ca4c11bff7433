package dev.osprey.train.sft;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The training examples in the order the trainer takes them, one at a time. The order depends only on
 * the seed, so a resumed run that takes (and drops) the examples already trained on continues with
 * exactly the ones the uninterrupted run would have seen.
 */
public interface ExampleSource {

    /** The next example; sources cycle (epochs) and never run out. */
    SftExample next();

    /** Examples held in memory, each epoch a fresh seeded shuffle, consumed from its end. */
    static ExampleSource shuffledEpochs(List<SftExample> examples, long seed) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("the training set is empty");
        }
        Random order = new Random(seed);
        List<SftExample> epoch = new ArrayList<>();
        return () -> {
            if (epoch.isEmpty()) {
                epoch.addAll(examples);
                Collections.shuffle(epoch, order);
            }
            return epoch.remove(epoch.size() - 1);
        };
    }
}
