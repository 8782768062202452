/** Jobs: their phases with checked transitions, and each job's ordered, bounded event log. */
package dev.framecast.scheduler.job;
