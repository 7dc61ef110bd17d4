/** Trainer worker entry: hosts one TrainerCore, nothing else. */
import { expose } from 'comlink';
import { startBackend } from '../backends/setup';
import { DEVICE_LOST_MESSAGE } from '../protocol';
import { reportingFailures, TrainerCore } from './trainer-core';

expose(reportingFailures(new TrainerCore(startBackend, (reason) => self.postMessage({ type: DEVICE_LOST_MESSAGE, reason }))));
