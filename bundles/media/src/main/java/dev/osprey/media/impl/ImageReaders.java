package dev.osprey.media.impl;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.spi.ServiceRegistry;
import javax.imageio.stream.ImageInputStream;

import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import com.twelvemonkeys.imageio.plugins.webp.WebPImageReaderSpi;

/**
 * The image readers this bundle uses, found without ImageIO's service lookup: inside OSGi that lookup sees
 * only the JDK's own plugins (and those of whatever class loader scanned first), never another bundle's.
 * TwelveMonkeys' WebP and JPEG readers (the JPEG one reads CMYK/YCCK and the odd JPEGs the JDK refuses) are
 * created from their providers here; PNG, BMP and GIF come from the JDK. Nothing is registered in the
 * JVM-wide {@link IIORegistry}, so this bundle leaves no state behind when it is updated.
 */
public final class ImageReaders {

    private static final List<ImageReaderSpi> PROVIDERS = providers();

    private ImageReaders() {}

    /** A reader for the stream's format, its input set; null when none recognises it. */
    public static ImageReader readerFor(ImageInputStream stream) throws IOException {
        for (ImageReaderSpi provider : PROVIDERS) {
            stream.mark();
            boolean ok;
            try {
                ok = provider.canDecodeInput(stream);
            } finally {
                stream.reset();
            }
            if (ok) {
                ImageReader reader = provider.createReaderInstance();
                reader.setInput(stream, true, true);
                return reader;
            }
        }
        return null;
    }

    private static List<ImageReaderSpi> providers() {
        List<ImageReaderSpi> jdk = new ArrayList<>();
        Iterator<ImageReaderSpi> all = IIORegistry.getDefaultInstance().getServiceProviders(ImageReaderSpi.class, true);
        while (all.hasNext()) {
            ImageReaderSpi spi = all.next();
            if (spi.getClass().getName().startsWith("com.sun.imageio.")) {
                jdk.add(spi);
            }
        }
        // TwelveMonkeys' JPEG reader delegates to the JDK's: it finds it when registered in a registry holding it.
        // A private registry gives it that without touching the JVM-wide one.
        ServiceRegistry registry =
                new ServiceRegistry(List.<Class<?>>of(ImageReaderSpi.class).iterator());
        for (ImageReaderSpi spi : jdk) {
            registry.registerServiceProvider(spi, ImageReaderSpi.class);
        }
        JPEGImageReaderSpi jpeg = new JPEGImageReaderSpi();
        registry.registerServiceProvider(jpeg, ImageReaderSpi.class);
        List<ImageReaderSpi> providers = new ArrayList<>();
        providers.add(new WebPImageReaderSpi());
        providers.add(jpeg);
        providers.addAll(jdk);
        return List.copyOf(providers);
    }
}
