package com.example.osprey.faulty;

import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;

/**
 * A reward that never becomes available: its activation always throws. It exists to test isolation:
 * installed in {@code plugins/}, its bundle starts, DS fails to activate this component, and Osprey
 * lists the bundle as failed with this message while every other plugin and job carries on.
 *
 * <p>{@code immediate = true} makes DS activate it as soon as the bundle starts, so the failure shows
 * at install time rather than when someone first asks for {@code --reward_funcs faulty}.
 */
@Component(service = RewardFunction.class, immediate = true)
public class FaultyReward implements RewardFunction {

    static final String MESSAGE = "faulty-reward refuses to start: this bundle exists to show that a failing plugin"
            + " is isolated and named";

    @Activate
    void activate() {
        throw new IllegalStateException(MESSAGE);
    }

    @Override
    public String name() {
        return "faulty";
    }

    @Override
    public String description() {
        return "always fails to activate (isolation test)";
    }

    @Override
    public double[] score(List<RewardSample> samples) {
        throw new IllegalStateException(MESSAGE);
    }
}
