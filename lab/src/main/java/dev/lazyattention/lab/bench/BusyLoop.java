package dev.lazyattention.lab.bench;

/**
 * A busy neighbour for {@code bench --phases threads}: {@code N} threads that compute without pause until
 * standard input closes or the process is stopped.
 */
public final class BusyLoop {

    private BusyLoop() {}

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        for (int t = 0; t < threads; t++) {
            Thread spinner = new Thread(() -> {
                double x = 1;
                while (true) {
                    x = Math.sqrt(x + 1.0) * 1.0000001;
                    if (x == 0) {
                        System.out.println(x); // never: keeps the loop from being optimised away
                    }
                }
            }, "busy-" + t);
            spinner.setDaemon(true);
            spinner.start();
        }
        while (System.in.read() >= 0) {
            // until the bench closes our standard input or stops us
        }
    }
}
