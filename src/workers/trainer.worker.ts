/** Trainer worker entry: hosts one TrainerCore, nothing else. */
import { expose } from 'comlink';
import { startBackend } from '../backends/setup';
import { DEVICE_LOST_MESSAGE } from '../protocol';
import { TrainerCore } from './trainer-core';
import { reportingFailures } from './trainer-failures';

expose(reportingFailures(new TrainerCore(startBackend, (reason) => self.postMessage({ type: DEVICE_LOST_MESSAGE, reason }))));
