package dev.lazyattention.lab.experiment;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

/** The experiment's pictures, drawn with JFreeChart and saved as PNG. */
final class Charts {

    static final int WIDTH = 900;
    static final int HEIGHT = 560;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    /** Lines sharing one x axis: one series per entry of {@code series} (x values, y values). */
    static void lines(Path file, String title, String xLabel, String yLabel, Map<String, double[][]> series)
            throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            XYSeries s = new XYSeries(e.getKey());
            double[] x = e.getValue()[0];
            double[] y = e.getValue()[1];
            for (int i = 0; i < x.length; i++) {
                s.add(x[i], y[i]);
            }
            data.addSeries(s);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL,
                true, false, false);
        ((NumberAxis) chart.getXYPlot().getRangeAxis()).setAutoRangeIncludesZero(false);
        style(chart);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
    }

    /** Grouped bars: {@code values.get(series)[category]}. */
    static void bars(Path file, String title, String categoryLabel, String valueLabel, List<String> categories,
            Map<String, double[]> values) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Map.Entry<String, double[]> e : values.entrySet()) {
            for (int c = 0; c < categories.size(); c++) {
                data.addValue(e.getValue()[c], e.getKey(), categories.get(c));
            }
        }
        JFreeChart chart = ChartFactory.createBarChart(title, categoryLabel, valueLabel, data,
                PlotOrientation.VERTICAL, true, false, false);
        style(chart);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
    }

    /** One heatmap chart of {@code values[row][column]} with a colour legend. */
    static JFreeChart heatmap(String title, String xLabel, String yLabel, double[][] values, ColorScale scale,
            boolean legend) {
        int rows = values.length;
        int cols = values[0].length;
        double[] x = new double[rows * cols];
        double[] y = new double[rows * cols];
        double[] z = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                x[i] = c;
                y[i] = r;
                z[i] = values[r][c];
            }
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("values", new double[][] {x, y, z});
        NumberAxis xAxis = new NumberAxis(xLabel);
        xAxis.setRange(-0.5, cols - 0.5);
        xAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        NumberAxis yAxis = new NumberAxis(yLabel);
        yAxis.setRange(-0.5, rows - 0.5);
        yAxis.setInverted(true); // row 0 at the top, as in a matrix
        yAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(scale);
        XYPlot plot = new XYPlot(data, xAxis, yAxis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 12), plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        if (legend) {
            NumberAxis scaleAxis = new NumberAxis();
            scaleAxis.setRange(scale.getLowerBound(), scale.getUpperBound());
            PaintScaleLegend l = new PaintScaleLegend(scale, scaleAxis);
            l.setPosition(RectangleEdge.RIGHT);
            l.setAxisLocation(AxisLocation.TOP_OR_RIGHT);
            l.setMargin(new RectangleInsets(5, 5, 5, 5));
            l.setStripWidth(12);
            chart.addSubtitle(l);
        }
        return chart;
    }

    static void save(Path file, JFreeChart chart, int width, int height) throws IOException {
        ChartUtils.saveChartAsPNG(file.toFile(), chart, width, height);
    }

    /**
     * Charts drawn in a grid on one picture, with a title above and a shared colour legend on the right.
     *
     * @param tiles tiles[row][column]
     */
    static void grid(Path file, String title, JFreeChart[][] tiles, int tileSize, ColorScale scale, String scaleLabel)
            throws IOException {
        int rows = tiles.length;
        int cols = tiles[0].length;
        int top = 40;
        int legendWidth = 110;
        int width = cols * tileSize + legendWidth;
        int height = rows * tileSize + top;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, 10, 26);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                tiles[r][c].draw(g, new Rectangle2D.Double(c * tileSize, top + r * tileSize, tileSize, tileSize));
            }
        }
        NumberAxis axis = new NumberAxis(scaleLabel);
        axis.setRange(scale.getLowerBound(), scale.getUpperBound());
        PaintScaleLegend legend = new PaintScaleLegend(scale, axis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setStripWidth(14);
        legend.setMargin(new RectangleInsets(10, 10, 10, 10));
        legend.draw(g, new Rectangle2D.Double(cols * tileSize, top, legendWidth, rows * tileSize));
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    private static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getPlot().setBackgroundPaint(new Color(248, 248, 248));
    }
}
