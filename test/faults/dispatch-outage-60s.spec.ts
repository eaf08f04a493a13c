/**
 * The BullMQ outage tests of the normal suite (test/integration/dispatch-outage.test.ts: spool, replay, order,
 * crash mid-replay) with a long outage: vitest.faults.config.ts sets PATROL_OUTAGE_SEC=60, which that file reads.
 * Importing it registers its tests here, so the fault suite runs the same code with a 60 s outage.
 */
import '../integration/dispatch-outage.test.js';
