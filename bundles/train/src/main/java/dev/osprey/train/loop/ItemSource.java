package dev.osprey.train.loop;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The training items (examples, pairs, prompts) in the order the trainer takes them, one at a time. The
 * order depends only on the seed, so a resumed run that takes (and drops) the items already trained on
 * continues with exactly the ones the uninterrupted run would have seen.
 *
 * @param <T> what one item is
 */
public interface ItemSource<T> {

    /** The next item; sources cycle (epochs) and never run out. */
    T next();

    /** Items held in memory, each epoch a fresh seeded shuffle, consumed from its end. */
    static <T> ItemSource<T> shuffledEpochs(List<T> items, long seed) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("the training set is empty");
        }
        Random order = new Random(seed);
        List<T> epoch = new ArrayList<>();
        return () -> {
            if (epoch.isEmpty()) {
                epoch.addAll(items);
                Collections.shuffle(epoch, order);
            }
            return epoch.remove(epoch.size() - 1);
        };
    }
}
