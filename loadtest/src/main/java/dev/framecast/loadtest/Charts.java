package dev.framecast.loadtest;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The report's charts, drawn with JFreeChart into PNG files (headless). */
final class Charts {
  static final int WIDTH = 900;
  static final int HEIGHT = 480;

  /** Points per CDF line: enough to see its shape, few enough for a small PNG. */
  static final int CDF_POINTS = 300;

  private Charts() {}

  /** A line chart of named series of (x, y) points. */
  static void lines(
      Path file,
      String title,
      String xLabel,
      String yLabel,
      Map<String, List<double[]>> series,
      boolean logX)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYSeriesCollection data = new XYSeriesCollection();
    for (Map.Entry<String, List<double[]>> entry : series.entrySet()) {
      XYSeries line = new XYSeries(entry.getKey(), false, true);
      for (double[] point : entry.getValue()) {
        if (Double.isFinite(point[0]) && Double.isFinite(point[1]) && (!logX || point[0] > 0)) {
          line.add(point[0], point[1]);
        }
      }
      data.addSeries(line);
    }
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            title, xLabel, yLabel, data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
    for (int i = 0; i < data.getSeriesCount(); i++) {
      renderer.setSeriesStroke(i, new BasicStroke(2f));
    }
    plot.setRenderer(renderer);
    if (logX) {
      LogAxis axis = new LogAxis(xLabel);
      axis.setSmallestValue(1e-3);
      plot.setDomainAxis(axis);
    }
    ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
  }

  /** An empirical CDF of sorted values, thinned to about {@link #CDF_POINTS} points. */
  static List<double[]> cdf(double[] sorted) {
    List<double[]> points = new java.util.ArrayList<>();
    int n = sorted.length;
    if (n == 0) {
      return points;
    }
    int stride = Math.max(1, n / CDF_POINTS);
    for (int i = 0; i < n; i += stride) {
      points.add(new double[] {sorted[i], (i + 1.0) / n});
    }
    points.add(new double[] {sorted[n - 1], 1.0});
    return points;
  }
}
