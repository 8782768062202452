/**
 * Surefire checks of deploy/ against the applications: the rendered Kubernetes overlays (ports,
 * selectors, network policies, ServiceMonitors, images, probes, resources, and every environment
 * variable and option being one the application reads), the compose file, the container files, and
 * the Prometheus and Grafana files (every metric they query is one the applications export). What
 * the applications read and export is taken from their sources ({@link
 * dev.framecast.deploy.manifests.Apps}, {@link dev.framecast.deploy.manifests.Metrics}), so a
 * renamed setting or metric fails here rather than in a cluster.
 */
package dev.framecast.deploy.manifests;
