/** Trainer worker entry: hosts one TrainerCore, nothing else. */
import { expose } from 'comlink';
import { startBackend } from '../backends/setup';
import { TrainerCore } from './trainer-core';

expose(new TrainerCore(startBackend));
