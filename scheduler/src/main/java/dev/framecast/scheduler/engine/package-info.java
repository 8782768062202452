/**
 * The scheduling engine: one loop thread owns all job state and never blocks or does I/O; other
 * threads send it commands. Each tick {@code schedule()} returns an immutable {@link
 * dev.framecast.scheduler.engine.Plan}, the executor sends its batches to nodes, and results come
 * back as commands that {@code apply} turns into advanced jobs and events. A {@link
 * dev.framecast.scheduler.engine.SchedulingPolicy} picks the ready queue's order and the rule by
 * which jobs join active sets ({@code ActiveSetRule}: open sets for continuous batching and FCFS,
 * closed sets for static batching).
 */
package dev.framecast.scheduler.engine;
