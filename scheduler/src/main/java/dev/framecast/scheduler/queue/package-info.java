/**
 * The order in which ready jobs enter active sets ({@link
 * dev.framecast.scheduler.queue.ReadyQueue}): weighted fair share across tenants ({@link
 * dev.framecast.scheduler.queue.FairQueue}, the scheduler's own), or global arrival order ({@link
 * dev.framecast.scheduler.queue.ArrivalQueue}, the baselines' order).
 */
package dev.framecast.scheduler.queue;
