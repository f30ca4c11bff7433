package dev.osprey.cli.impl;

import java.util.stream.Collectors;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.model.ModelRegistry;
import dev.osprey.api.plugin.PluginInventory;

/** The {@code osprey:*} commands of the Gogo shell. Gogo prints what they return. */
@Component(
        service = GogoCommands.class,
        property = {"osgi.command.scope=osprey", "osgi.command.function=plugins", "osgi.command.function=models"})
public class GogoCommands {

    @Reference
    PluginInventory inventory;

    @Reference
    ModelRegistry models;

    /** {@code osprey:plugins}: the plugins that provide extensions, hot-deployed ones and failed ones. */
    public String plugins() {
        return PluginTable.table(inventory.plugins(), false);
    }

    /** {@code osprey:plugins all}: every bundle. */
    public String plugins(String all) {
        return PluginTable.table(inventory.plugins(), "all".equals(all) || "--all".equals(all));
    }

    /** {@code osprey:models}: the model registry. */
    public String models() {
        if (models.entries().isEmpty()) {
            return "no models registered: model bundles add them (plugins-models/)";
        }
        return models.entries().stream()
                .map(e -> e.id() + "  " + e.modelType() + "  " + e.chatTemplate())
                .collect(Collectors.joining(System.lineSeparator()));
    }
}
