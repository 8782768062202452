/**
 * The scheduling engine: one loop thread owns all job state and never blocks or does I/O; other
 * threads send it commands. Each tick {@code schedule()} returns an immutable {@link
 * dev.framecast.scheduler.engine.Plan}, the executor sends its batches to nodes, and results come
 * back as commands that {@code apply} turns into advanced jobs and events.
 */
package dev.framecast.scheduler.engine;
