/** Reports of a training run: the loss plot. */
package dev.osprey.train.report;
